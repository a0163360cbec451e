//! The boot images: the ELF files of every program, and the kernel command line, as the
//! kernel hands them to init (mapped read-only at [`BOOT_IMAGES_ADDR`]).
//!
//! Layout, in little-endian 64-bit words from the start: the magic, the total length in
//! bytes, the number of images `n`, the command line's offset and length; then `n` entries of
//! four words (name offset, name length, image offset, image length); then the bytes those
//! offsets point at, each image 8-byte aligned. Every offset counts from the start.

/// Where init finds the boot images.
pub const BOOT_IMAGES_ADDR: u64 = 0x0000_7000_0000_0000;

const HEADER_WORDS: usize = 5;
const ENTRY_WORDS: usize = 4;

/// A parsed, bounds-checked view of the boot images.
#[derive(Clone, Copy, Debug)]
pub struct BootImages<'a> {
    bytes: &'a [u8],
    count: usize,
}

impl<'a> BootImages<'a> {
    /// "TRYSTIMG" in ASCII.
    pub const MAGIC: u64 = u64::from_be_bytes(*b"TRYSTIMG");

    /// The total length recorded in the first two words, so a reader knows how much to look
    /// at; `None` unless they hold the magic.
    pub fn total_len(first_words: [u64; 2]) -> Option<usize> {
        (first_words[0] == Self::MAGIC).then(|| usize::try_from(first_words[1]).ok()).flatten()
    }

    /// Checks `bytes` (magic, length, every entry in bounds, names in UTF-8).
    pub fn parse(bytes: &'a [u8]) -> Option<BootImages<'a>> {
        let header = Self { bytes, count: 0 };
        if header.word(0)? != Self::MAGIC || header.word(1)? != bytes.len() as u64 {
            return None;
        }
        let count = usize::try_from(header.word(2)?).ok()?;
        let images = Self { bytes, count };
        images.range(3)?;
        core::str::from_utf8(images.range(3)?).ok()?;
        for n in 0..count {
            core::str::from_utf8(images.range(HEADER_WORDS + n * ENTRY_WORDS)?).ok()?;
            images.range(HEADER_WORDS + n * ENTRY_WORDS + 2)?;
        }
        Some(images)
    }

    /// The kernel command line (`scenario=NAME …`).
    pub fn command_line(&self) -> &'a str {
        self.range(3).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("")
    }

    /// Every image, with its name.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + '_ {
        (0..self.count).filter_map(|n| {
            let entry = HEADER_WORDS + n * ENTRY_WORDS;
            let name = core::str::from_utf8(self.range(entry)?).ok()?;
            Some((name, self.range(entry + 2)?))
        })
    }

    /// The image called `name`.
    pub fn find(&self, name: &str) -> Option<&'a [u8]> {
        self.iter().find(|&(n, _)| n == name).map(|(_, image)| image)
    }

    fn word(&self, index: usize) -> Option<u64> {
        let bytes = self.bytes.get(index * 8..index * 8 + 8)?;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }

    /// The bytes named by the (offset, length) pair at word `index`.
    fn range(&self, index: usize) -> Option<&'a [u8]> {
        let start = usize::try_from(self.word(index)?).ok()?;
        let len = usize::try_from(self.word(index + 1)?).ok()?;
        self.bytes.get(start..start.checked_add(len)?)
    }
}

/// Lays out the boot images for `command_line` and `images`, handing each piece to `write`
/// as (offset, bytes); returns the total length. With a `write` that does nothing it only
/// measures.
pub fn write_boot_images(
    command_line: &str,
    images: &[(&str, &[u8])],
    mut write: impl FnMut(usize, &[u8]),
) -> usize {
    let mut end = (HEADER_WORDS + images.len() * ENTRY_WORDS) * 8;
    let mut place = |bytes: &[u8], write: &mut dyn FnMut(usize, &[u8])| {
        let at = end.next_multiple_of(8);
        write(at, bytes);
        end = at + bytes.len();
        [at as u64, bytes.len() as u64]
    };
    let mut words = [0u64; ENTRY_WORDS];
    let line = place(command_line.as_bytes(), &mut write);
    for (n, (name, image)) in images.iter().enumerate() {
        words[..2].copy_from_slice(&place(name.as_bytes(), &mut write));
        words[2..].copy_from_slice(&place(image, &mut write));
        for (i, word) in words.iter().enumerate() {
            write((HEADER_WORDS + n * ENTRY_WORDS + i) * 8, &word.to_le_bytes());
        }
    }
    let header = [BootImages::MAGIC, end as u64, images.len() as u64, line[0], line[1]];
    for (i, word) in header.iter().enumerate() {
        write(i * 8, &word.to_le_bytes());
    }
    end
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    #[test]
    fn written_images_parse_back() {
        let images: [(&str, &[u8]); 3] = [("init", b"\x7fELF..."), ("hello", b"abc"), ("", b"")];
        let len = write_boot_images("scenario=demo", &images, |_, _| {});
        let mut bytes = vec![0u8; len];
        let written = write_boot_images("scenario=demo", &images, |at, part| {
            bytes[at..at + part.len()].copy_from_slice(part)
        });
        assert_eq!(written, len);
        let first = [0, 1].map(|i| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap()));
        assert_eq!(BootImages::total_len(first), Some(len));
        let parsed = BootImages::parse(&bytes).expect("parses");
        assert_eq!(parsed.command_line(), "scenario=demo");
        assert_eq!(parsed.iter().collect::<std::vec::Vec<_>>(), images);
        assert_eq!(parsed.find("hello"), Some(&b"abc"[..]));
        assert_eq!(parsed.find("nope"), None);
        assert!(BootImages::parse(&bytes[..len - 1]).is_none(), "length must match");
        let mut corrupt = bytes.clone();
        corrupt[HEADER_WORDS * 8] = 0xff;
        assert!(BootImages::parse(&corrupt).is_none(), "an entry out of bounds is refused");
    }
}
