//! Leaves every other module may use, and that use nothing above them:
//! time ([`timestamp`], the service's [`clock`]), retry delays
//! ([`backoff`]), keeping secrets out of text ([`secret`], [`scrub`],
//! [`http_header`]), cutting service text for logs ([`clip`]), the reader of an
//! options hash that names every key it refuses ([`options`]) and the hasher
//! of keys that already are digests ([`prehashed`]).

pub(crate) mod backoff;
pub(crate) mod clip;
pub(crate) mod clock;
pub(crate) mod http_header;
pub(crate) mod options;
pub(crate) mod prehashed;
pub(crate) mod scrub;
pub(crate) mod secret;
pub mod timestamp;
