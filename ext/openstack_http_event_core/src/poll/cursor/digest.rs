//! How the cursor remembers a `message_id`: a keyed 128-bit digest, the
//! same on every toolchain so that a state file's digests are recognised
//! after a restart.

use std::hash::Hasher;

use siphasher::sip128::{Hasher128, SipHasher24};

/// A `message_id` reduced to 128 bits with a secret key: remembering one
/// costs the same whatever its length, and a service cannot pick two ids
/// that collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Key(pub(super) u128);

/// SipHash-2-4 with a 128-bit output and a random 128-bit key (the seed),
/// over the id's UTF-8 bytes: unlike std's `RandomState`, a seed can be
/// written to a state file, and the function is fixed (not `str::hash`,
/// whose bytes may change with the toolchain), so that a resumed cursor
/// recognises the digests it remembered. 2-4 rather than the faster 1-3:
/// a collision would drop an event as a duplicate, and one digest per
/// event costs nothing next to reading it.
#[derive(Debug)]
pub(super) struct Digest([u64; 2]);

impl Digest {
    /// A digest with a fresh random seed.
    pub(super) fn new() -> Self {
        Digest(rand::random())
    }

    /// The digest of a saved seed.
    pub(super) fn seeded(seed: [u64; 2]) -> Self {
        Digest(seed)
    }

    /// The seed, to be saved.
    pub(super) fn seed(&self) -> [u64; 2] {
        self.0
    }

    /// The key of `id`.
    pub(super) fn key(&self, id: &str) -> Key {
        let [k0, k1] = self.0;
        let mut hasher = SipHasher24::new_with_keys(k0, k1);
        hasher.write(id.as_bytes());
        // from the two halves, not Hash128::as_u128 (which swaps bytes on a big-endian host)
        let hash = hasher.finish128();
        Key((u128::from(hash.h2) << 64) | u128::from(hash.h1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_siphash_2_4_128_of_the_ids_bytes_on_every_toolchain() {
        // State files keep these digests across restarts, toolchain upgrades
        // included: were the function or the bytes it is fed to change, a
        // restarted monitor would no longer recognise what it delivered and
        // deliver its back-read window again. These literals fail first.
        // SipHash's reference vector (vectors_sip128: key 00..0f, message 00..0e)
        let reference = Digest([0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908]);
        let id: String = (0u8..15).map(char::from).collect();
        assert_eq!(reference.key(&id), Key(0xd9c3_cf97_0fec_087e_11a8_b033_99e9_9354));
        // a message_id as Panko gives them, under another seed (computed once with this code)
        let digest = Digest([0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210]);
        assert_eq!(digest.key("4c5b3a2e-6f1d-4e8a-9b7c-2d3e4f5a6b7c"), Key(0x5334_0a5f_0e44_7ead_a6ec_9d70_fef5_4ee6));
    }
}
