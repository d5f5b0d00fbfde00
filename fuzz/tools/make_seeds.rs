//! Writes the committed seed corpus, `fuzz/seeds/<target>/`, in the layouts the targets read
//! (`callassist_fuzz`): a few valid inputs per target taken from real formats (telephony audio
//! and WAV files, a trimmed built-in knowledge pack, complete text and audio calls), plus a few
//! that walk straight into the error paths. Not a fuzz target; run it from the repository root
//! after `cargo +nightly fuzz build`: `fuzz/target/x86_64-unknown-linux-gnu/release/make_seeds`.

use std::path::Path;

use callassist_client::pb::{self, stream_call_request::Request};
use callassist_client::wav::WavAudio;
use callassist_fuzz::{
    FileSpec, KIND_DIR, KIND_HARDLINK, KIND_SYMLINK, build_tar_gz, build_zip, encode_files,
    encode_records, grpc_frame,
};
use callassist_inference::audio::linear_to_mulaw;
use callassist_knowledge::{DocumentEntry, DocumentKind, Limits, RuleKind, load_pack};
use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new("fuzz/seeds");
    audio_seeds(&root.join("audio_decode"))?;
    pack_seeds(&root.join("pack_archive"))?;
    call_seeds(&root.join("stream_call"))?;
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), bytes)?;
    println!("{:>6} {}", bytes.len(), dir.join(name).display());
    Ok(())
}

/// `n` samples of a vowel-like tone (three harmonics of `hz`) at `rate`, as i16.
fn tone(rate: u32, hz: f32, n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f32 / rate as f32 * hz * std::f32::consts::TAU;
            ((t.sin() * 0.4 + (2.0 * t).sin() * 0.2 + (3.0 * t).sin() * 0.1) * 20_000.0) as i16
        })
        .collect()
}

fn pcm16(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

fn mulaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|s| linear_to_mulaw(*s)).collect()
}

/// Interleaves two byte channels of one-byte samples.
fn stereo8(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).flat_map(|(x, y)| [*x, *y]).collect()
}

fn audio_seeds(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let frames = |header: &[u8], data: &[u8], frame: usize| {
        let mut out = header.to_vec();
        out.extend(encode_records(data.chunks(frame)));
        out
    };
    let t8 = tone(8_000, 180.0, 800);
    write(dir, "pcm16_mono_8k", &frames(&[0, 0], &pcm16(&t8), 320))?;
    let silence = vec![0xFFu8; 800];
    write(
        dir,
        "mulaw_stereo_8k",
        &frames(&[1 | 4, 0], &stereo8(&mulaw(&t8), &silence), 320),
    )?;
    let t44 = tone(44_100, 220.0, 1_764);
    let alaw: Vec<u8> = mulaw(&t44).iter().map(|b| b ^ 0x55).collect(); // roughly A-law
    write(dir, "alaw_mono_44k1", &frames(&[2, 5], &alaw, 441))?;
    let t48 = pcm16(&tone(48_000, 200.0, 960));
    let mut odd = vec![4 | 8, 6];
    odd.extend(encode_records([&t48[..400], &t48[400..407], &t48[407..]]));
    write(dir, "pcm16_stereo_48k_odd_frame", &odd)?;
    let mut prime = vec![1, 0xF0];
    prime.extend(7_919u32.to_le_bytes());
    prime.extend(encode_records(mulaw(&tone(7_919, 150.0, 600)).chunks(200)));
    write(dir, "mulaw_7919hz", &prime)?;

    let wav = WavAudio {
        encoding: pb::AudioEncoding::Mulaw,
        sample_rate: 8_000,
        channels: 2,
        data: stereo8(&mulaw(&t8), &mulaw(&tone(8_000, 240.0, 800))),
    };
    write(dir, "mulaw_stereo.wav", &wav.to_wav_bytes())?;
    // WAVE_FORMAT_EXTENSIBLE 16-bit PCM at 16 kHz, a LIST chunk of odd size (padded) first.
    let data = pcm16(&tone(16_000, 200.0, 800));
    let mut fmt = Vec::new();
    fmt.extend(0xFFFEu16.to_le_bytes());
    fmt.extend(1u16.to_le_bytes());
    fmt.extend(16_000u32.to_le_bytes());
    fmt.extend(32_000u32.to_le_bytes());
    fmt.extend(2u16.to_le_bytes());
    fmt.extend(16u16.to_le_bytes());
    fmt.extend(22u16.to_le_bytes());
    fmt.extend(16u16.to_le_bytes());
    fmt.extend(4u32.to_le_bytes());
    fmt.extend([
        1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71,
    ]);
    let mut body = b"WAVE".to_vec();
    for (id, chunk) in [
        (b"LIST", &b"INFOISFT\x03\x00\x00\x00ab\x00"[..]),
        (b"fmt ", &fmt[..]),
        (b"data", &data[..]),
    ] {
        body.extend(id);
        body.extend((chunk.len() as u32).to_le_bytes());
        body.extend(chunk);
        if chunk.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut riff = b"RIFF".to_vec();
    riff.extend((body.len() as u32).to_le_bytes());
    riff.extend(body);
    write(dir, "pcm16_extensible.wav", &riff)?;
    Ok(())
}

/// The first lines of `text`, about `max` bytes.
fn head(text: &str, max: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if out.len() + line.len() > max {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn pack_seeds(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // A trimmed copy of the built-in B2B SaaS pack: two documents, three stages and one rule
    // of each kind.
    let pack = load_pack(Path::new("knowledge/packs/b2b-saas"), &Limits::default())?;
    let mut manifest = pack.manifest.clone();
    let docs = ["docs/en/pricing.md", "docs/zh/pricing.md"];
    manifest.documents = Some(
        docs.iter()
            .map(|p| DocumentEntry {
                path: (*p).to_owned(),
                kind: DocumentKind::Product,
            })
            .collect(),
    );
    manifest.stages.truncate(3);
    let mut kinds = Vec::new();
    manifest.rules.retain(|r| {
        let first = !kinds.contains(&r.kind);
        kinds.push(r.kind);
        first && (r.kind != RuleKind::Required || r.before_stage.is_none())
    });
    let toml_text = toml::to_string(&manifest)?;
    let doc = |p: &str| {
        let d = pack.documents.iter().find(|d| d.path == p).expect("doc");
        head(&d.text, 1_200)
    };
    let files: Vec<FileSpec> = std::iter::once(FileSpec::file("pack.toml", toml_text.clone()))
        .chain(docs.iter().map(|p| FileSpec::file(p, doc(p))))
        .collect();

    let with_flags = |flags: u8, files: &[FileSpec]| {
        let mut out = vec![flags];
        out.extend(encode_files(files));
        out
    };
    write(dir, "tar_gz_files", &with_flags(1, &files))?;
    let mut wrapped = vec![FileSpec {
        kind: KIND_DIR,
        name: b"my-pack/".to_vec(),
        data: Vec::new(),
    }];
    wrapped.extend(files.iter().map(|f| FileSpec {
        name: [b"my-pack/".as_slice(), &f.name].concat(),
        ..f.clone()
    }));
    wrapped.push(FileSpec::file("my-pack/.DS_Store", "x"));
    wrapped.push(FileSpec::file("__MACOSX/my-pack/._pack.toml", "x"));
    write(
        dir,
        "zip_stored_wrapped_small_limits",
        &with_flags(2 | 4, &wrapped),
    )?;

    // No [[documents]]: every .md/.txt under docs/ loads, kinds from names; BOM and CRLF.
    let mut bare = manifest.clone();
    bare.documents = None;
    let default_docs = vec![
        FileSpec::file("pack.toml", toml::to_string(&bare)?),
        FileSpec::file(
            "docs/faq.md",
            "\u{feff}# FAQ\r\n\r\n## Is there a free trial?\r\nYes: 14 days. 试用期十四天。\r\n",
        ),
        FileSpec::file(
            "docs/客户案例.txt",
            "Greenfield Logistics moved its win rate.\r",
        ),
        FileSpec::file("docs/image.png", [0x89, b'P', b'N', b'G']),
    ];
    write(
        dir,
        "zip_deflated_default_docs",
        &with_flags(3, &default_docs),
    )?;

    let mut raw = vec![0];
    raw.extend(build_tar_gz(&files, 6)?);
    write(dir, "raw_tar_gz", &raw)?;
    let mut raw = vec![0];
    raw.extend(build_zip(&default_docs, true)?);
    write(dir, "raw_zip", &raw)?;

    let unsafe_entries = vec![
        FileSpec::file("pack.toml", toml_text.clone()),
        FileSpec::file("docs/../../escape.md", "x"),
        FileSpec {
            kind: KIND_SYMLINK,
            name: b"docs/link.md".to_vec(),
            data: b"/etc/passwd".to_vec(),
        },
        FileSpec {
            kind: KIND_HARDLINK,
            name: b"docs/hard.md".to_vec(),
            data: b"pack.toml".to_vec(),
        },
        FileSpec::file("/abs.md", "x"),
    ];
    write(
        dir,
        "tar_gz_unsafe_entries",
        &with_flags(1 | 4, &unsafe_entries),
    )?;

    let broken = format!(
        "{}\n[[documents]]\npath = \"docs/en/pricing.md\"\nkind = \"product\"\n\
         [[documents]]\npath = \"docs/missing.md\"\nkind = \"faq\"\n",
        toml_text.replace("id = \"builtin-b2b-saas\"", "id = \"Not A Valid Id!\"")
    );
    let invalid = vec![
        FileSpec::file("pack.toml", broken),
        FileSpec::file("docs/en/pricing.md", [0xC3, 0x28, b'x']),
    ];
    write(dir, "zip_invalid_manifest", &with_flags(2, &invalid))?;
    Ok(())
}

fn req(r: Request) -> Vec<u8> {
    pb::StreamCallRequest { request: Some(r) }.encode_to_vec()
}

fn config(encoding: pb::AudioEncoding, rate: u32, channels: u32) -> pb::CallConfig {
    pb::CallConfig {
        call_id: "seed-call".into(),
        tenant_id: "acme".into(),
        agent_id: "agent-7".into(),
        language_codes: vec!["en-US".into()],
        encoding: encoding as i32,
        sample_rate_hertz: rate,
        audio_channel_count: channels,
        interim_results: true,
        ..Default::default()
    }
}

fn text(role: pb::Role, t: &str) -> Vec<u8> {
    req(Request::Text(pb::TextUtterance {
        role: role as i32,
        text: t.into(),
    }))
}

fn audio(seq: u64, data: &[u8]) -> Vec<u8> {
    req(Request::Audio(pb::AudioFrame {
        data: data.to_vec(),
        sequence: seq,
    }))
}

fn finalize() -> Vec<u8> {
    req(Request::Finalize(pb::Finalize {}))
}

fn call_seed(flags: u8, messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![flags];
    out.extend(encode_records(messages));
    out
}

fn call_seeds(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let text_cfg = pb::CallConfig {
        pack_ids: vec!["builtin-b2b-saas".into()],
        labels: [("crm_id".to_string(), "42".to_string())].into(),
        ..config(pb::AudioEncoding::Unspecified, 0, 0)
    };
    let text_call = [
        req(Request::Config(text_cfg.clone())),
        text(
            pb::Role::Agent,
            "Thanks for making time, this call is recorded.",
        ),
        text(
            pb::Role::Customer,
            "Honestly that's too expensive and we already use Salesforce. Call me at \
             415-555-0134 or jane.doe@example.com, card 4111 1111 1111 1111.",
        ),
        text(
            pb::Role::Agent,
            "We guarantee your revenue will definitely double.",
        ),
        text(pb::Role::Customer, "我们觉得太贵了，而且已经在用别的系统。"),
        req(Request::Feedback(pb::SuggestionFeedback {
            suggestion_id: "seed-call-s1".into(),
            action: pb::FeedbackAction::Accepted as i32,
            accepted_option_ids: vec!["o1".into()],
            reason: "fits".into(),
        })),
        finalize(),
    ];
    write(dir, "text_call", &call_seed(0, &text_call))?;

    // Stereo mu-law: the agent talks for 0.6 s, then both are silent for 0.6 s.
    let speech = mulaw(&tone(8_000, 170.0, 4_800));
    let quiet = vec![0xFFu8; 4_800];
    let agent: Vec<u8> = speech.iter().chain(&quiet).copied().collect();
    let customer: Vec<u8> = quiet.iter().chain(&quiet).copied().collect();
    let stereo = stereo8(&agent, &customer);
    let mut msgs = vec![req(Request::Config(pb::CallConfig {
        channel_roles: vec![pb::Role::Agent as i32, pb::Role::Customer as i32],
        ..config(pb::AudioEncoding::Mulaw, 8_000, 2)
    }))];
    msgs.extend(stereo.chunks(320).zip(1..).map(|(c, i)| audio(i, c)));
    msgs.push(finalize());
    write(dir, "audio_mulaw_stereo", &call_seed(0, &msgs))?;

    // Mono 16 kHz PCM16 on the tight server: its 20 frames/s limit ends the call.
    let pcm = pcm16(&tone(16_000, 190.0, 8_000));
    let mut msgs = vec![req(Request::Config(config(
        pb::AudioEncoding::Linear16,
        16_000,
        1,
    )))];
    msgs.extend(pcm.chunks(640).zip(1..).map(|(c, i)| audio(i, c)));
    msgs.push(finalize());
    write(dir, "audio_pcm16_tight_rate", &call_seed(2, &msgs))?;

    // A-law mono (bytes only roughly A-law: any byte is a valid sample): a duplicate and an
    // out-of-order frame (both dropped), a text utterance on an audio call, then a second
    // `config`, which ends the call.
    let alaw: Vec<u8> = mulaw(&tone(8_000, 200.0, 800))
        .iter()
        .map(|b| b ^ 0x55)
        .collect();
    let msgs = vec![
        req(Request::Config(config(pb::AudioEncoding::Alaw, 8_000, 1))),
        audio(5, &alaw[..160]),
        audio(5, &alaw[160..320]),
        audio(3, &alaw[320..480]),
        audio(6, &alaw[480..]),
        text(pb::Role::Customer, "Can you hear me?"),
        req(Request::Config(config(pb::AudioEncoding::Alaw, 8_000, 1))),
    ];
    write(
        dir,
        "alaw_out_of_order_then_second_config",
        &call_seed(0, &msgs),
    )?;

    let odd = vec![
        req(Request::Config(config(
            pb::AudioEncoding::Linear16,
            8_000,
            2,
        ))),
        audio(1, &[1, 2, 3, 4, 5, 6]),
    ];
    write(dir, "pcm16_stereo_partial_sample", &call_seed(0, &odd))?;
    let bad_cfg = pb::CallConfig {
        channel_roles: vec![1, 1],
        language_codes: vec!["english".into()],
        ..config(pb::AudioEncoding::Mulaw, 3_000, 2)
    };
    write(
        dir,
        "invalid_config",
        &call_seed(0, &[req(Request::Config(bad_cfg)), finalize()]),
    )?;
    write(dir, "text_before_config", &call_seed(0, &text_call[1..3]))?;
    // A message that is not a StreamCallRequest (tag 0) after a valid config.
    let undecodable = [text_call[0].clone(), vec![0x00, 0x2c, 0x00]];
    write(dir, "undecodable_message", &call_seed(0, &undecodable))?;

    // Raw bodies: a whole text call, and a frame header announcing 16 MiB.
    let mut body = vec![1];
    for m in &text_call {
        grpc_frame(m, &mut body);
    }
    write(dir, "raw_body_text_call", &body)?;
    let mut body = vec![1];
    grpc_frame(&text_call[0], &mut body);
    body.extend([0, 1, 0, 0, 0]);
    write(dir, "raw_body_oversized_message", &body)?;
    Ok(())
}
