//! The physical frame allocator: a bitmap of free 4 KiB frames, fed with the usable ranges of
//! the boot memory map and then punched with every range that is already in use.

/// The size of one frame.
pub const FRAME_SIZE: u64 = 4096;
/// Physical memory the bitmap covers; RAM above this is left unused (and reported as such).
pub const COVERED_BYTES: u64 = 4 << 30;

const FRAMES: usize = (COVERED_BYTES / FRAME_SIZE) as usize;
const WORDS: usize = FRAMES / 64;

/// A half-open range of physical addresses, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl PhysRange {
    /// The range `[start, start + len)`, saturating at the top of the address space.
    pub fn new(start: u64, len: u64) -> PhysRange {
        PhysRange { start, end: start.saturating_add(len) }
    }

    /// Whether `addr` lies inside.
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }
}

/// Why a frame could not be given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The address is not frame-aligned or lies outside the covered memory.
    NotAFrame,
    /// The frame is already free.
    AlreadyFree,
}

/// Free frames, one bit each (set = free).
pub struct FrameAllocator {
    free: [u64; WORDS],
    free_count: usize,
    /// The word to start the next search at: everything below it was found empty last time.
    hint: usize,
}

impl Default for FrameAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameAllocator {
    /// An allocator with no frames.
    pub const fn new() -> Self {
        FrameAllocator { free: [0; WORDS], free_count: 0, hint: 0 }
    }

    /// Marks every whole frame inside `range` free (the range is rounded inwards).
    pub fn add_usable(&mut self, range: PhysRange) {
        let first = range.start.div_ceil(FRAME_SIZE);
        let end = (range.end.min(COVERED_BYTES)) / FRAME_SIZE;
        for frame in first..end.max(first) {
            self.set_free(frame as usize, true);
        }
        self.hint = 0;
    }

    /// Marks every frame that overlaps `range` as in use (the range is rounded outwards).
    pub fn reserve(&mut self, range: PhysRange) {
        let first = range.start / FRAME_SIZE;
        let end = range.end.min(COVERED_BYTES).div_ceil(FRAME_SIZE);
        for frame in first..end.max(first) {
            self.set_free(frame as usize, false);
        }
    }

    /// Takes a free frame and returns its physical address.
    pub fn allocate(&mut self) -> Option<u64> {
        let word = (self.hint..WORDS).find(|&w| self.free[w] != 0)?;
        self.hint = word;
        let frame = word * 64 + self.free[word].trailing_zeros() as usize;
        self.set_free(frame, false);
        Some(frame as u64 * FRAME_SIZE)
    }

    /// Gives back the frame at `addr`.
    pub fn free(&mut self, addr: u64) -> Result<(), FreeError> {
        if !addr.is_multiple_of(FRAME_SIZE) || addr >= COVERED_BYTES {
            return Err(FreeError::NotAFrame);
        }
        let frame = (addr / FRAME_SIZE) as usize;
        if self.is_free(frame) {
            return Err(FreeError::AlreadyFree);
        }
        self.set_free(frame, true);
        self.hint = self.hint.min(frame / 64);
        Ok(())
    }

    /// How many frames are free.
    pub fn free_count(&self) -> usize {
        self.free_count
    }

    fn is_free(&self, frame: usize) -> bool {
        self.free[frame / 64] & (1 << (frame % 64)) != 0
    }

    fn set_free(&mut self, frame: usize, free: bool) {
        if self.is_free(frame) == free {
            return;
        }
        if free {
            self.free[frame / 64] |= 1 << (frame % 64);
            self.free_count += 1;
        } else {
            self.free[frame / 64] &= !(1 << (frame % 64));
            self.free_count -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn allocator() -> Box<FrameAllocator> {
        Box::new(FrameAllocator::new())
    }

    #[test]
    fn hands_out_only_usable_unreserved_frames() {
        let mut frames = allocator();
        frames.add_usable(PhysRange { start: 0, end: 0x9fc00 });
        frames.add_usable(PhysRange { start: 0x10_0000, end: 0x800_0000 });
        frames.reserve(PhysRange { start: 0, end: 0x10_0000 });
        let kernel = PhysRange { start: 0x10_0000, end: 0x23_4567 };
        frames.reserve(kernel);
        let expected = (0x800_0000 - 0x23_5000) / FRAME_SIZE as usize;
        assert_eq!(frames.free_count(), expected);
        let mut seen = 0;
        while let Some(frame) = frames.allocate() {
            assert!((0x23_5000..0x800_0000).contains(&frame), "frame {frame:#x}");
            assert!(!kernel.contains(frame));
            seen += 1;
        }
        assert_eq!(seen, expected);
        assert_eq!(frames.free_count(), 0);
    }

    #[test]
    fn partial_frames_are_never_usable() {
        let mut frames = allocator();
        frames.add_usable(PhysRange { start: 0x1001, end: 0x3fff });
        assert_eq!(frames.free_count(), 1, "only [0x2000, 0x3000) is whole");
        assert_eq!(frames.allocate(), Some(0x2000));
    }

    #[test]
    fn memory_above_the_covered_range_is_ignored() {
        let mut frames = allocator();
        frames.add_usable(PhysRange { start: COVERED_BYTES - FRAME_SIZE, end: u64::MAX });
        assert_eq!(frames.free_count(), 1);
    }

    #[test]
    fn double_free_and_misaligned_free_are_errors() {
        let mut frames = allocator();
        frames.add_usable(PhysRange::new(0x10_0000, 0x2000));
        let frame = frames.allocate().unwrap();
        assert_eq!(frames.free(frame + 1), Err(FreeError::NotAFrame));
        assert_eq!(frames.free(COVERED_BYTES), Err(FreeError::NotAFrame));
        assert_eq!(frames.free(frame), Ok(()));
        assert_eq!(frames.free(frame), Err(FreeError::AlreadyFree));
        assert_eq!(frames.free_count(), 2);
    }

    proptest! {
        /// Allocations never repeat a frame, frees make frames available again, and the count
        /// always matches a set model.
        #[test]
        fn matches_a_set_model(ops in proptest::collection::vec(any::<(bool, u8)>(), 1..400)) {
            let mut frames = allocator();
            frames.add_usable(PhysRange::new(0x40_0000, 64 * FRAME_SIZE));
            let mut held: Vec<u64> = Vec::new();
            for (allocate, pick) in ops {
                if allocate || held.is_empty() {
                    match frames.allocate() {
                        Some(frame) => {
                            prop_assert!(!held.contains(&frame));
                            prop_assert!(PhysRange::new(0x40_0000, 64 * FRAME_SIZE).contains(frame));
                            held.push(frame);
                        }
                        None => prop_assert_eq!(held.len(), 64),
                    }
                } else {
                    let frame = held.swap_remove(usize::from(pick) % held.len());
                    prop_assert_eq!(frames.free(frame), Ok(()));
                }
                prop_assert_eq!(frames.free_count(), 64 - held.len());
            }
        }
    }
}
