//! Fuzz target `audio_decode`: the wire-audio path of the inference crate, and the SDK's WAV
//! reader that feeds it.
//!
//! Input starting with `RIFF`: the bytes are a WAV file for `WavAudio::parse`; a file it
//! accepts is cut into frames by `call::audio_requests` (as the CLI does), written back with
//! `to_wav_bytes` and parsed again, and its frames go through the decoder below.
//!
//! Any other input: byte 0 picks the encoding (bits 0-1: LINEAR16, MULAW, ALAW) and channels
//! (bit 2: stereo; bit 3: also try the unsupported 0 and 3); byte 1 picks the sample rate
//! (one of the common rates, or from 0xF0 on a raw `u32` that follows, in range or not); the
//! rest is frames as `[len u16 LE][bytes]` records. Each frame is decoded by `Deinterleaver`
//! and every channel's samples go through its own `StreamResampler` at whatever chunking the
//! frames give, then `flush`.
//!
//! Checked: no panic; a frame is refused exactly when it is not a whole number of sample
//! frames; decoded samples lie in [-1, 1); resampled samples are finite; after `flush` each
//! channel has exactly `round(consumed * 16000 / rate)` samples (the resampler's contract).
#![no_main]

use callassist_client::call::{CallOptions, audio_requests};
use callassist_client::pb::{self, stream_call_request::Request};
use callassist_client::wav::WavAudio;
use callassist_fuzz::{Cursor, records};
use callassist_inference::audio::{AudioEncoding, Deinterleaver, StreamResampler};
use libfuzzer_sys::fuzz_target;

/// Rates byte 1 selects (below 0xF0); the supported range is 4000-192000 Hz.
const RATES: [u32; 12] = [
    8_000, 16_000, 11_025, 22_050, 32_000, 44_100, 48_000, 96_000, 192_000, 4_000, 12_000, 24_000,
];

fuzz_target!(|data: &[u8]| {
    if data.starts_with(b"RIFF") {
        wav(data);
    } else {
        frames(data);
    }
});

fn wav(data: &[u8]) {
    let Ok(audio) = WavAudio::parse(data) else {
        return;
    };
    let fb = audio.frame_bytes();
    assert!(fb > 0 && audio.data.len().is_multiple_of(fb));
    let _ = audio.duration_ms();
    let again = WavAudio::parse(&audio.to_wav_bytes()).expect("a written WAV parses");
    assert_eq!(
        (
            again.encoding,
            again.sample_rate,
            again.channels,
            &again.data
        ),
        (
            audio.encoding,
            audio.sample_rate,
            audio.channels,
            &audio.data
        )
    );
    let encoding = match audio.encoding {
        pb::AudioEncoding::Mulaw => AudioEncoding::Mulaw,
        pb::AudioEncoding::Alaw => AudioEncoding::Alaw,
        _ => AudioEncoding::Linear16,
    };
    let requests = audio_requests(&audio, &CallOptions::default());
    let frames = requests.iter().filter_map(|r| match &r.request {
        Some(Request::Audio(f)) => Some(f.data.as_slice()),
        _ => None,
    });
    let sent: usize = frames.clone().map(<[u8]>::len).sum();
    assert_eq!(
        sent,
        audio.data.len(),
        "the frames carry the whole recording"
    );
    run(encoding, audio.channels as usize, audio.sample_rate, frames);
}

fn frames(data: &[u8]) {
    let mut c = Cursor::new(data);
    let flags = c.u8();
    let encoding = match flags & 3 {
        1 => AudioEncoding::Mulaw,
        2 => AudioEncoding::Alaw,
        _ => AudioEncoding::Linear16,
    };
    let channels = if flags & 4 != 0 { 2 } else { 1 };
    if flags & 8 != 0 {
        assert!(Deinterleaver::new(encoding, 0).is_err());
        assert!(Deinterleaver::new(encoding, 3).is_err());
    }
    let sel = c.u8();
    let rate = if sel >= 0xF0 {
        c.u32()
    } else {
        RATES[sel as usize % RATES.len()]
    };
    run(encoding, channels, rate, records(c.rest()).into_iter());
}

/// Decodes `frames` and resamples each channel, checking the invariants in the file header.
fn run<'a>(
    encoding: AudioEncoding,
    channels: usize,
    rate: u32,
    frames: impl Iterator<Item = &'a [u8]>,
) {
    let Ok(decoder) = Deinterleaver::new(encoding, channels) else {
        assert!(!(1..=2).contains(&channels));
        return;
    };
    let resamplers: Result<Vec<_>, _> = (0..channels).map(|_| StreamResampler::new(rate)).collect();
    let mut resamplers = match resamplers {
        Ok(r) => Some(r),
        Err(_) => {
            assert!(!(4_000..=192_000).contains(&rate), "{rate} Hz is supported");
            None
        }
    };
    let fb = decoder.frame_bytes();
    let mut decoded = vec![Vec::new(); channels];
    let mut out = vec![Vec::new(); channels];
    let mut consumed = 0u64;
    for frame in frames {
        decoded.iter_mut().for_each(Vec::clear);
        match decoder.decode_into(frame, &mut decoded) {
            Ok(()) => assert!(frame.len().is_multiple_of(fb)),
            Err(_) => {
                assert!(!frame.len().is_multiple_of(fb));
                continue;
            }
        }
        for d in &decoded {
            assert_eq!(d.len(), frame.len() / fb);
            assert!(d.iter().all(|s| (-1.0..1.0).contains(s)));
        }
        consumed += (frame.len() / fb) as u64;
        if let Some(rs) = resamplers.as_mut() {
            for ((r, d), o) in rs.iter_mut().zip(&decoded).zip(&mut out) {
                r.push(d, o);
            }
        }
    }
    let Some(mut rs) = resamplers else {
        return;
    };
    // The same expression as the resampler's, so rounding agrees.
    let owed = (consumed as f64 * (16_000.0 / rate as f64)).round() as usize;
    for (r, o) in rs.iter_mut().zip(&mut out) {
        r.flush(o);
        assert!(o.iter().all(|s| s.is_finite()));
        assert_eq!(o.len(), owed, "{consumed} samples at {rate} Hz");
    }
}
