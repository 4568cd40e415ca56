//! Placeholder: the soak scenarios are being written.
