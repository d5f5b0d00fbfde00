//! Voice-activity detection and endpointing for one 16 kHz channel: a frame is speech when it
//! is loud enough (above an adaptive noise floor and an absolute level) and not spectrally flat
//! (`spectral.rs`: white or broadband noise is flat, voiced speech has harmonics); a start
//! hangover, pre-roll so first syllables are kept, and three silence thresholds: a short pause
//! inside an utterance settles what was said before it (a [`VadEvent::Pause`], so it can be
//! transcribed as a final while the speaker goes on), a longer one ends the utterance, and a
//! still longer one ends the speaker's turn. Digital silence, steady low hiss and loud white
//! noise never open an utterance. The per-frame speech decision is pluggable ([`VadEngine`]): this energy + flatness test, or
//! the earshot crate's neural detector (`vad_earshot.rs`); the rest is shared. docs/VAD.md
//! compares the two.

/// What decides whether one frame is speech.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VadEngine {
    /// Energy above an adaptive floor and an absolute level, and not spectrally flat.
    #[default]
    Energy,
    /// The earshot crate's neural detector (score >= [`VadConfig::earshot_threshold`]).
    Earshot,
    /// earshot's decision AND not spectrally flat (the energy engine's flatness test): the
    /// best overall in docs/VAD.md (no clip missed, fewest false starts of the earshot kind).
    EarshotFlat,
}

/// Endpointing thresholds.
#[derive(Clone, Debug)]
pub struct VadConfig {
    /// Analysis frame length.
    pub frame_ms: u32,
    /// A frame is speech when it is this many dB above the noise floor...
    pub db_over_floor: f32,
    /// ...and above this absolute level (dBFS).
    pub min_db: f32,
    /// Consecutive speech frames needed to open an utterance.
    pub start_frames: u32,
    /// Silence that closes an utterance.
    pub end_silence_ms: u32,
    /// Silence inside an utterance that settles the audio before it ([`VadEvent::Pause`]);
    /// 0: never. Only pauses shorter than `end_silence_ms` matter.
    pub pause_ms: u32,
    /// A pause settles audio only once this much of it is unsettled (short pieces decode
    /// worse and the end-of-utterance final is quick for them anyway).
    pub min_piece_ms: u32,
    /// Silence after an utterance that ends the speaker's turn ([`VadEvent::EndOfTurn`]);
    /// 0: never.
    pub end_of_turn_ms: u32,
    /// Audio kept before the detected start.
    pub pre_roll_ms: u32,
    /// Audio kept after the last speech frame.
    pub post_roll_ms: u32,
    /// An utterance longer than this is cut (and a new one starts at once).
    pub max_utterance_ms: u32,
    /// Frames flatter than this (spectral flatness, 0..1) are noise, however loud.
    pub max_flatness: f32,
    /// Inside an utterance, frames this many dB below the speaker's recent peak count as
    /// silence: the pauses of someone talking over room noise or a crowd, which stay above
    /// the noise floor measured before they spoke.
    pub pause_drop_db: f32,
    /// The per-frame speech decision.
    pub engine: VadEngine,
    /// Earshot score (0..1) from which a frame is speech (the earshot engines only).
    pub earshot_threshold: f32,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self {
            frame_ms: 20,
            db_over_floor: 12.0,
            min_db: -48.0,
            start_frames: 3,
            end_silence_ms: 600,
            pause_ms: 200,
            min_piece_ms: 1_000,
            end_of_turn_ms: 1_200,
            pre_roll_ms: 240,
            post_roll_ms: 200,
            max_utterance_ms: 20_000,
            max_flatness: 0.45,
            pause_drop_db: 20.0,
            engine: VadEngine::Energy,
            earshot_threshold: 0.5,
        }
    }
}

/// What the endpointer saw.
#[derive(Clone, Debug, PartialEq)]
pub enum VadEvent {
    /// Speech began at `start_ms` (call time of this channel).
    SpeechStart { start_ms: u64 },
    /// An utterance ended; `samples` is its audio (with pre/post roll). Past
    /// `voiced_end_ms` it holds only sound far below the speaker's level (room noise, a
    /// crowd), so a pause piece ending there has the same words.
    SpeechEnd {
        start_ms: u64,
        end_ms: u64,
        voiced_end_ms: u64,
        samples: Vec<f32>,
    },
    /// The speaker paused (no frame within `pause_drop_db` of their level for `pause_ms`)
    /// inside an utterance that stays open: `samples` is the utterance's audio from its start
    /// through the pause's post-roll, of which the part from the previous pause on is new
    /// (at least `min_piece_ms`). If the utterance ends here, its final has the same words.
    Pause {
        start_ms: u64,
        end_ms: u64,
        samples: Vec<f32>,
    },
    /// Silence has lasted `end_of_turn_ms` since the last utterance ended (or the stream
    /// ended after one): the speaker's turn is over.
    EndOfTurn { at_ms: u64 },
}

/// Per-channel endpointer over 16 kHz samples.
#[derive(Debug)]
pub struct Endpointer {
    cfg: VadConfig,
    frame_len: usize,
    frame_buf: Vec<f32>,
    /// Samples consumed so far (whole frames).
    pos: u64,
    floor_db: f32,
    /// Recent non-utterance audio for pre-roll.
    history: std::collections::VecDeque<f32>,
    run: u32,
    utt: Option<Utterance>,
    flatness: crate::spectral::Flatness,
    /// Sample index where the last utterance's speech ended, until its turn ends.
    turn_open: Option<u64>,
    /// The earshot detector, when that is the engine.
    earshot: Option<crate::vad_earshot::EarshotFrames>,
}

#[derive(Debug)]
struct Utterance {
    start_sample: u64,
    samples: Vec<f32>,
    /// Sample index (call time) just after the last speech frame.
    last_speech_end: u64,
    /// Same, for frames within `pause_drop_db` of the speaker's peak (what pauses go by;
    /// the utterance's end goes by any speech frame, so it is not cut short).
    last_voice_end: u64,
    /// Sample index up to which earlier pauses settled the audio.
    settled_to: u64,
    /// Whether the current silence already produced a pause.
    paused: bool,
    /// Recent peak level of the utterance's speech frames (dBFS), decaying slowly.
    peak_db: f32,
}

/// How fast an utterance's peak level decays, dB per frame (2.5 dB/s at 20 ms frames).
const PEAK_DECAY_DB: f32 = 0.05;

impl Endpointer {
    /// A new endpointer.
    pub fn new(cfg: VadConfig) -> Self {
        let frame_len = (crate::SAMPLE_RATE as usize * cfg.frame_ms as usize / 1000).max(1);
        Self {
            frame_len,
            frame_buf: Vec::new(),
            pos: 0,
            floor_db: -70.0,
            history: Default::default(),
            run: 0,
            utt: None,
            flatness: crate::spectral::Flatness::new(frame_len, crate::SAMPLE_RATE),
            turn_open: None,
            earshot: matches!(cfg.engine, VadEngine::Earshot | VadEngine::EarshotFlat)
                .then(|| crate::vad_earshot::EarshotFrames::new(cfg.earshot_threshold)),
            cfg,
        }
    }

    fn ms(samples: u64) -> u64 {
        samples * 1000 / crate::SAMPLE_RATE as u64
    }

    fn samples_for(ms: u32) -> usize {
        crate::SAMPLE_RATE as usize * ms as usize / 1000
    }

    /// Position of this channel (ms of audio consumed).
    pub fn position_ms(&self) -> u64 {
        Self::ms(self.pos + self.frame_buf.len() as u64)
    }

    /// The utterance in progress: its start (ms) and audio so far.
    pub fn current(&self) -> Option<(u64, &[f32])> {
        self.utt
            .as_ref()
            .map(|u| (Self::ms(u.start_sample), u.samples.as_slice()))
    }

    /// Silence (ms) since the last speech frame of the utterance in progress; 0 when none is.
    pub fn trailing_silence_ms(&self) -> u64 {
        self.utt
            .as_ref()
            .map_or(0, |u| Self::ms(self.pos - u.last_speech_end))
    }

    /// Feeds samples; appends any events to `events`.
    pub fn push(&mut self, samples: &[f32], events: &mut Vec<VadEvent>) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (self.frame_len - self.frame_buf.len()).min(rest.len());
            self.frame_buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.frame_buf.len() == self.frame_len {
                let frame = std::mem::take(&mut self.frame_buf);
                self.frame(&frame, None, events);
                self.frame_buf = frame;
                self.frame_buf.clear();
            }
        }
    }

    /// Feeds one whole frame (`frame_ms` long) whose speech decision another detector made,
    /// through the same start hangover, pre-roll and end silence (for comparisons such as
    /// `vad-compare`). Refused when `push` left a partial frame buffered.
    pub fn push_decided(
        &mut self,
        frame: &[f32],
        is_speech: bool,
        events: &mut Vec<VadEvent>,
    ) -> Result<(), crate::InferenceError> {
        if frame.len() != self.frame_len || !self.frame_buf.is_empty() {
            return Err(crate::InferenceError::InvalidAudio(format!(
                "push_decided takes whole {}-sample frames at a frame boundary, got {} with {} buffered",
                self.frame_len,
                frame.len(),
                self.frame_buf.len()
            )));
        }
        self.frame(frame, Some(is_speech), events);
        Ok(())
    }

    /// Ends the stream: closes any open utterance.
    pub fn flush(&mut self, events: &mut Vec<VadEvent>) {
        if !self.frame_buf.is_empty() {
            if let Some(u) = self.utt.as_mut() {
                u.samples.extend_from_slice(&self.frame_buf);
            }
            self.pos += self.frame_buf.len() as u64;
            self.frame_buf.clear();
        }
        self.close(events);
        if self.turn_open.take().is_some() && self.cfg.end_of_turn_ms > 0 {
            events.push(VadEvent::EndOfTurn {
                at_ms: Self::ms(self.pos),
            });
        }
    }

    fn frame(&mut self, frame: &[f32], decided: Option<bool>, events: &mut Vec<VadEvent>) {
        let energy = frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32;
        let db = 10.0 * (energy + 1e-12).log10();
        let loud = db > self.cfg.min_db && db > self.floor_db + self.cfg.db_over_floor;
        let is_speech = match (decided, self.earshot.as_mut()) {
            (Some(d), _) => d,
            (None, None) => loud && self.flatness.measure(frame) < self.cfg.max_flatness,
            (None, Some(e)) => {
                e.is_speech(frame)
                    && (self.cfg.engine != VadEngine::EarshotFlat
                        || self.flatness.measure(frame) < self.cfg.max_flatness)
            }
        };
        let frame_start = self.pos;
        self.pos += frame.len() as u64;

        match self.utt.as_mut() {
            Some(u) => {
                u.samples.extend_from_slice(frame);
                u.peak_db -= PEAK_DECAY_DB;
                if is_speech {
                    u.last_speech_end = self.pos;
                    if db >= u.peak_db - self.cfg.pause_drop_db {
                        u.peak_db = u.peak_db.max(db);
                        u.last_voice_end = self.pos;
                        u.paused = false;
                    }
                }
                let silence = self.pos - u.last_speech_end;
                let quiet = self.pos - u.last_voice_end;
                let len = self.pos - u.start_sample;
                if silence >= Self::samples_for(self.cfg.end_silence_ms) as u64
                    || len >= Self::samples_for(self.cfg.max_utterance_ms) as u64
                {
                    self.close(events);
                } else if !u.paused
                    && self.cfg.pause_ms > 0
                    && quiet
                        >= Self::samples_for(self.cfg.pause_ms.max(self.cfg.post_roll_ms)) as u64
                {
                    u.paused = true;
                    let end = u.last_voice_end + Self::samples_for(self.cfg.post_roll_ms) as u64;
                    if end >= u.settled_to + Self::samples_for(self.cfg.min_piece_ms) as u64 {
                        u.settled_to = end;
                        events.push(VadEvent::Pause {
                            start_ms: Self::ms(u.start_sample),
                            end_ms: Self::ms(end),
                            samples: u.samples[..(end - u.start_sample) as usize].to_vec(),
                        });
                    }
                }
            }
            None => {
                if let Some(spoke) = self.turn_open
                    && self.pos - spoke >= Self::samples_for(self.cfg.end_of_turn_ms) as u64
                {
                    self.turn_open = None;
                    if self.cfg.end_of_turn_ms > 0 {
                        events.push(VadEvent::EndOfTurn {
                            at_ms: Self::ms(self.pos),
                        });
                    }
                }
                if !is_speech {
                    // Track the floor only outside speech, rising slowly and falling fast.
                    let a = if db < self.floor_db { 0.3 } else { 0.02 };
                    self.floor_db += a * (db - self.floor_db);
                }
                self.run = if is_speech { self.run + 1 } else { 0 };
                self.history.extend(frame.iter().copied());
                let keep = Self::samples_for(self.cfg.pre_roll_ms) + self.frame_len * 8;
                while self.history.len() > keep {
                    self.history.pop_front();
                }
                if self.run >= self.cfg.start_frames {
                    let speech_start = frame_start + self.frame_len as u64
                        - (self.run as u64 * self.frame_len as u64);
                    let pre = Self::samples_for(self.cfg.pre_roll_ms) as u64;
                    let want = (self.pos - speech_start + pre).min(self.history.len() as u64);
                    let samples: Vec<f32> = self
                        .history
                        .iter()
                        .skip(self.history.len() - want as usize)
                        .copied()
                        .collect();
                    let start_sample = self.pos - want;
                    self.history.clear();
                    self.run = 0;
                    events.push(VadEvent::SpeechStart {
                        start_ms: Self::ms(speech_start),
                    });
                    self.turn_open = None;
                    self.utt = Some(Utterance {
                        start_sample,
                        samples,
                        last_speech_end: self.pos,
                        last_voice_end: self.pos,
                        settled_to: start_sample,
                        paused: false,
                        peak_db: db,
                    });
                }
            }
        }
    }

    fn close(&mut self, events: &mut Vec<VadEvent>) {
        let Some(mut u) = self.utt.take() else {
            return;
        };
        let post = Self::samples_for(self.cfg.post_roll_ms) as u64;
        let end = (u.last_speech_end + post).min(u.start_sample + u.samples.len() as u64);
        let voiced_end = (u.last_voice_end + post).min(end);
        u.samples.truncate((end - u.start_sample) as usize);
        self.turn_open = Some(u.last_speech_end);
        events.push(VadEvent::SpeechEnd {
            start_ms: Self::ms(u.start_sample),
            end_ms: Self::ms(end),
            voiced_end_ms: Self::ms(voiced_end),
            samples: u.samples,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(ms: u32, amp: f32) -> Vec<f32> {
        let n = crate::SAMPLE_RATE as usize * ms as usize / 1000;
        (0..n).map(|i| (i as f32 * 0.2).sin() * amp).collect()
    }

    #[test]
    fn silence_never_opens_an_utterance() {
        let mut ep = Endpointer::new(VadConfig::default());
        let mut ev = Vec::new();
        ep.push(&vec![0.0; 16_000 * 30], &mut ev);
        ep.push(&tone(5_000, 0.001), &mut ev); // -63 dBFS hiss
        ep.flush(&mut ev);
        assert!(ev.is_empty(), "{ev:?}");
    }

    #[test]
    fn one_burst_gives_one_utterance_with_times() {
        let mut ep = Endpointer::new(VadConfig::default());
        let mut ev = Vec::new();
        ep.push(&vec![0.0; 16_000], &mut ev);
        ep.push(&tone(1_500, 0.3), &mut ev);
        ep.push(&vec![0.0; 16_000], &mut ev);
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert_eq!(ev[0], VadEvent::SpeechStart { start_ms: 1_000 });
        // The pause settles everything said: the same audio the utterance ends with.
        match (&ev[1], &ev[2]) {
            (
                VadEvent::Pause {
                    start_ms: 760,
                    end_ms: 2_700,
                    samples: a,
                },
                VadEvent::SpeechEnd { samples: b, .. },
            ) => assert_eq!(a, b),
            other => panic!("{other:?}"),
        }
        match &ev[2] {
            VadEvent::SpeechEnd {
                start_ms,
                end_ms,
                voiced_end_ms,
                samples,
            } => {
                assert_eq!(*start_ms, 760);
                assert_eq!(*end_ms, 2_700);
                assert_eq!(*voiced_end_ms, 2_700);
                assert_eq!(samples.len() as u64, (end_ms - start_ms) * 16);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn loud_white_noise_never_opens_an_utterance() {
        let mut ep = Endpointer::new(VadConfig::default());
        let mut ev = Vec::new();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<f32> = (0..16_000 * 20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 40) as f32 / (1u64 << 23) as f32 - 1.0) * 0.3
            })
            .collect();
        ep.push(&vec![0.0; 16_000 * 5], &mut ev);
        ep.push(&noise, &mut ev);
        ep.flush(&mut ev);
        assert!(ev.is_empty(), "{ev:?}");
    }

    #[test]
    fn long_speech_is_cut_at_the_maximum() {
        let cfg = VadConfig {
            max_utterance_ms: 2_000,
            ..VadConfig::default()
        };
        let mut ep = Endpointer::new(cfg);
        let mut ev = Vec::new();
        ep.push(&tone(5_000, 0.3), &mut ev);
        ep.flush(&mut ev);
        let ends = ev
            .iter()
            .filter(|e| matches!(e, VadEvent::SpeechEnd { .. }))
            .count();
        assert!(ends >= 2, "{ev:?}");
    }

    fn kinds(ev: &[VadEvent]) -> Vec<&'static str> {
        ev.iter()
            .map(|e| match e {
                VadEvent::SpeechStart { .. } => "start",
                VadEvent::SpeechEnd { .. } => "end",
                VadEvent::Pause { .. } => "pause",
                VadEvent::EndOfTurn { .. } => "turn",
            })
            .collect()
    }

    #[test]
    fn pauses_settle_pieces_and_the_utterance_stays_open() {
        let mut ep = Endpointer::new(VadConfig::default());
        let mut ev = Vec::new();
        ep.push(&vec![0.0; 16_000], &mut ev);
        ep.push(&tone(1_500, 0.3), &mut ev);
        ep.push(&vec![0.0; 16_000 * 3 / 10], &mut ev); // 300 ms: a pause, not an end
        assert_eq!(ep.trailing_silence_ms(), 300);
        ep.push(&tone(1_200, 0.3), &mut ev);
        ep.push(&vec![0.0; 16_000 * 3 / 10], &mut ev);
        ep.push(&tone(500, 0.3), &mut ev); // too short after the last pause to settle
        ep.push(&vec![0.0; 16_000], &mut ev);
        assert_eq!(
            kinds(&ev),
            ["start", "pause", "pause", "end"],
            "{:?}",
            kinds(&ev)
        );
        let ends: Vec<(u64, usize)> = ev
            .iter()
            .filter_map(|e| match e {
                VadEvent::Pause {
                    start_ms,
                    end_ms,
                    samples,
                } => {
                    assert_eq!(*start_ms, 760);
                    assert_eq!(samples.len() as u64, (end_ms - start_ms) * 16);
                    Some((*end_ms, samples.len()))
                }
                _ => None,
            })
            .collect();
        // Each pause ends 200 ms (post-roll) after its speech.
        assert_eq!(ends[0].0, 2_700);
        assert_eq!(ends[1].0, 2_500 + 300 + 1_200 + 200);
    }

    #[test]
    fn pauses_can_be_turned_off() {
        let cfg = VadConfig {
            pause_ms: 0,
            ..VadConfig::default()
        };
        let mut ep = Endpointer::new(cfg);
        let mut ev = Vec::new();
        ep.push(&tone(1_500, 0.3), &mut ev);
        ep.push(&vec![0.0; 16_000 * 3 / 10], &mut ev);
        ep.push(&tone(1_500, 0.3), &mut ev);
        ep.flush(&mut ev);
        assert_eq!(kinds(&ev), ["start", "end", "turn"], "{:?}", kinds(&ev));
    }

    #[test]
    fn the_turn_ends_after_a_longer_silence_unless_speech_comes_back() {
        let mut ep = Endpointer::new(VadConfig::default());
        let mut ev = Vec::new();
        // Bursts too short for a pause to settle anything.
        ep.push(&tone(400, 0.3), &mut ev);
        ep.push(&vec![0.0; 16_000], &mut ev); // utterance over, turn not yet
        ep.push(&tone(400, 0.3), &mut ev);
        ep.push(&vec![0.0; 16_000 * 2], &mut ev);
        assert_eq!(
            kinds(&ev),
            ["start", "end", "start", "end", "turn"],
            "{:?}",
            kinds(&ev)
        );
        match ev.last() {
            // 1 200 ms after the second burst's last speech frame.
            Some(VadEvent::EndOfTurn { at_ms }) => assert_eq!(*at_ms, 400 + 1_000 + 400 + 1_200),
            _ => panic!("{:?}", kinds(&ev)),
        }
        // Once over, nothing more until someone speaks.
        ev.clear();
        ep.push(&vec![0.0; 16_000 * 3], &mut ev);
        ep.flush(&mut ev);
        assert!(ev.is_empty(), "{:?}", kinds(&ev));
    }

    #[test]
    fn pauses_over_room_noise_are_heard_relative_to_the_speaker() {
        // Silence, then speech whose pauses hold a steady hum 30 dB down (a crowd, a room):
        // louder than the floor measured before the speaker began, far below their voice.
        let hum = |ms: u32| -> Vec<f32> {
            let n = crate::SAMPLE_RATE as usize * ms as usize / 1000;
            (0..n).map(|i| (i as f32 * 0.05).sin() * 0.01).collect()
        };
        let mut ep = Endpointer::new(VadConfig::default());
        let mut ev = Vec::new();
        ep.push(&vec![0.0; 16_000], &mut ev);
        ep.push(&tone(1_500, 0.3), &mut ev);
        ep.push(&hum(400), &mut ev);
        ep.push(&tone(1_500, 0.3), &mut ev);
        ep.push(&vec![0.0; 16_000], &mut ev);
        assert_eq!(
            kinds(&ev),
            ["start", "pause", "pause", "end"],
            "{:?}",
            kinds(&ev)
        );
        // Without the relative test the hum counts as speech: one piece, settled at the end.
        let cfg = VadConfig {
            pause_drop_db: 1_000.0,
            ..VadConfig::default()
        };
        let mut ep = Endpointer::new(cfg);
        let mut ev = Vec::new();
        ep.push(&vec![0.0; 16_000], &mut ev);
        ep.push(&tone(1_500, 0.3), &mut ev);
        ep.push(&hum(400), &mut ev);
        ep.push(&tone(1_500, 0.3), &mut ev);
        ep.push(&vec![0.0; 16_000], &mut ev);
        assert_eq!(kinds(&ev), ["start", "pause", "end"], "{:?}", kinds(&ev));
    }
}
