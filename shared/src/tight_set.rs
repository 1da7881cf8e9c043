//! [`TightSet`]: a small sorted set in a `Vec` sized to fit, for the many one- to few-item
//! sets of an index (a Gateway's Services, a Service's EndpointSlices, a key's Avi objects).
//! A `BTreeSet` allocates a node of eleven slots for its first item: ≈0.5 KiB each, for tens
//! of thousands of such sets.

/// A sorted set without spare capacity. Inserting and removing are linear in its size: meant
/// for sets of a few items, not for large ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TightSet<T>(Vec<T>);

impl<T> Default for TightSet<T> {
    fn default() -> Self {
        TightSet(Vec::new())
    }
}

impl<T: Ord> TightSet<T> {
    /// Adds `item`; false when it was there already.
    pub fn insert(&mut self, item: T) -> bool {
        match self.0.binary_search(&item) {
            Ok(_) => false,
            Err(at) => {
                self.0.reserve_exact(1);
                self.0.insert(at, item);
                true
            }
        }
    }

    /// Removes `item`; false when it was not there.
    pub fn remove(&mut self, item: &T) -> bool {
        match self.0.binary_search(item) {
            Ok(at) => {
                self.0.remove(at);
                self.0.shrink_to_fit();
                true
            }
            Err(_) => false,
        }
    }

    pub fn contains(&self, item: &T) -> bool {
        self.0.binary_search(item).is_ok()
    }
}

impl<T> TightSet<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, T> IntoIterator for &'a TightSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any run of inserts and removals leaves a `TightSet` holding what a `BTreeSet`
        /// would, in the same order, answering the same, with no spare capacity.
        #[test]
        fn behaves_as_a_btreeset_without_spare_capacity(ops in proptest::collection::vec((any::<bool>(), 0u8..12), 0..60)) {
            let (mut tight, mut reference) = (TightSet::default(), BTreeSet::new());
            for (add, i) in ops {
                if add {
                    prop_assert_eq!(tight.insert(i), reference.insert(i));
                } else {
                    prop_assert_eq!(tight.remove(&i), reference.remove(&i));
                }
                prop_assert!(tight.iter().eq(reference.iter()));
                prop_assert_eq!(tight.len(), reference.len());
                prop_assert_eq!(tight.is_empty(), reference.is_empty());
                prop_assert_eq!(tight.contains(&i), reference.contains(&i));
                prop_assert_eq!(tight.0.capacity(), tight.0.len());
            }
        }
    }
}
