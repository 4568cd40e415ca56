//! Placeholder: the storage scenarios are being written.
