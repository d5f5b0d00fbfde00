//! Audio input: wire codecs (PCM16, G.711 mu-law / A-law) and resampling to 16 kHz.

mod codec;
mod resample;

pub use codec::{AudioEncoding, Deinterleaver, alaw_to_linear, linear_to_mulaw, mulaw_to_linear};
pub use resample::StreamResampler;
