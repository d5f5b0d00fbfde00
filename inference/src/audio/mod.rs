//! Audio input: wire codecs (PCM16, G.711 mu-law / A-law) and resampling to 16 kHz.

mod codec;
mod phone_line;
mod resample;

pub use codec::{AudioEncoding, Deinterleaver, alaw_to_linear, linear_to_mulaw, mulaw_to_linear};
pub use phone_line::phone_line;
pub use resample::StreamResampler;
