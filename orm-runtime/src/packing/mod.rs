//! Packed integer index math (lands with the foundation issue).
