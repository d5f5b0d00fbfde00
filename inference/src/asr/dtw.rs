//! Which of whisper.cpp's alignment-head presets fits a ggml model file, read from the file's
//! header before the model is loaded (the preset is a context parameter). whisper.cpp aligns
//! tokens to audio by dynamic time warping over these decoder cross-attention heads.

use std::io::Read;
use std::path::Path;

use whisper_rs::DtwModelPreset;

/// `ggml` in ASCII, little-endian: the first four bytes of a whisper.cpp model.
const GGML_MAGIC: u32 = 0x6767_6d6c;

/// The hyper-parameters that tell the standard model sizes apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    pub n_vocab: i32,
    pub n_audio_layer: i32,
    pub n_text_layer: i32,
}

/// Reads the header of the ggml file at `path` (`None` if it is not one).
pub(crate) fn read_shape(path: &Path) -> Option<Shape> {
    let mut head = [0u8; 48];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    let word = |i: usize| {
        i32::from_le_bytes([
            head[i * 4],
            head[i * 4 + 1],
            head[i * 4 + 2],
            head[i * 4 + 3],
        ])
    };
    if word(0) as u32 != GGML_MAGIC {
        return None;
    }
    // magic, n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx,
    // n_text_state, n_text_head, n_text_layer, ...
    Some(Shape {
        n_vocab: word(1),
        n_audio_layer: word(5),
        n_text_layer: word(9),
    })
}

/// The alignment-head preset of a standard Whisper model of this shape; `None` where the
/// shape does not say which (large v1 and v2 look alike) or is not a standard size.
pub(crate) fn preset(shape: Shape) -> Option<DtwModelPreset> {
    let multilingual = shape.n_vocab >= 51_865;
    let pick = |en, multi| Some(if multilingual { multi } else { en });
    match (shape.n_audio_layer, shape.n_text_layer) {
        (4, 4) => pick(DtwModelPreset::TinyEn, DtwModelPreset::Tiny),
        (6, 6) => pick(DtwModelPreset::BaseEn, DtwModelPreset::Base),
        (12, 12) => pick(DtwModelPreset::SmallEn, DtwModelPreset::Small),
        (24, 24) => pick(DtwModelPreset::MediumEn, DtwModelPreset::Medium),
        (32, 4) => Some(DtwModelPreset::LargeV3Turbo),
        (32, 32) if shape.n_vocab == 51_866 => Some(DtwModelPreset::LargeV3),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_sizes_get_their_preset() {
        let shape = |n_vocab, n_audio_layer, n_text_layer| Shape {
            n_vocab,
            n_audio_layer,
            n_text_layer,
        };
        assert!(matches!(
            preset(shape(51_864, 4, 4)),
            Some(DtwModelPreset::TinyEn)
        ));
        assert!(matches!(
            preset(shape(51_865, 6, 6)),
            Some(DtwModelPreset::Base)
        ));
        assert!(matches!(
            preset(shape(51_866, 32, 4)),
            Some(DtwModelPreset::LargeV3Turbo)
        ));
        assert!(preset(shape(51_865, 32, 32)).is_none());
        assert!(preset(shape(51_865, 3, 3)).is_none());
    }

    #[test]
    fn a_file_that_is_not_ggml_has_no_shape() {
        let path = std::env::temp_dir().join(format!("dtw-shape-{}", std::process::id()));
        std::fs::write(&path, [0u8; 64]).unwrap();
        assert_eq!(read_shape(&path), None);
        assert_eq!(read_shape(Path::new("/nonexistent/ggml-model.bin")), None);
        let _ = std::fs::remove_file(&path);
    }
}
