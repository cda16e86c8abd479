//! Hashing for keys that already are secret-keyed digests (the cursor's
//! `message_id` keys): a `HashMap` of them needs no second keyed hash, the
//! digest's own bits are as unpredictable to a service as any hash of them.

use std::hash::{BuildHasher, Hasher};

/// Builds [`Prehashed`] hashers; for maps whose keys hash as one integer
/// that is itself a secret-keyed digest.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrehashedState;

impl BuildHasher for PrehashedState {
    type Hasher = Prehashed;

    fn build_hasher(&self) -> Prehashed {
        Prehashed(0)
    }
}

/// Takes a digest's low 64 bits as the hash. Anything hashed as bytes is
/// folded in eight at a time (correct, not meant to be fast).
#[derive(Debug, Clone, Copy)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 ^= n as u64;
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_its_own_hash() {
        assert_eq!(PrehashedState.hash_one(0xdead_beef_0000_0000_0123_4567_89ab_cdef_u128), 0x0123_4567_89ab_cdef);
        // bytes still spread over the hash
        assert_ne!(PrehashedState.hash_one("ab"), PrehashedState.hash_one("ba"));
    }
}
