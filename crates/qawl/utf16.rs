//! Byte offsets → UTF-16 offsets, for JavaScript clients (editorial tools run in browsers).

/// Maps byte offsets of one text to UTF-16 code-unit offsets in O(log n) per lookup.
#[derive(Debug)]
pub struct Utf16Index {
    /// (byte offset, utf16 offset) at the start of every non-ASCII char and at the end of the text.
    /// Between two checkpoints every char is ASCII, so the offsets advance together.
    checkpoints: Vec<(usize, usize)>,
}

impl Utf16Index {
    pub fn new(text: &str) -> Self {
        let mut checkpoints = vec![(0, 0)];
        // UTF-16 offset at `last_byte`, the end of the last non-ASCII char seen.
        let mut utf16 = 0;
        let mut last_byte = 0;
        for (byte, ch) in text.char_indices().filter(|(_, ch)| !ch.is_ascii()) {
            utf16 += byte - last_byte;
            checkpoints.push((byte, utf16));
            utf16 += ch.len_utf16();
            last_byte = byte + ch.len_utf8();
            checkpoints.push((last_byte, utf16));
        }
        utf16 += text.len() - last_byte;
        checkpoints.push((text.len(), utf16));
        Self { checkpoints }
    }

    /// The UTF-16 offset of `byte`. Offsets inside a multi-byte char map to that char's start.
    pub fn utf16_offset(&self, byte: usize) -> usize {
        let i = self.checkpoints.partition_point(|&(b, _)| b <= byte);
        let (base_byte, base_utf16) = self.checkpoints[i.saturating_sub(1)];
        match self.checkpoints.get(i) {
            // Inside a non-ASCII char: clamp to its start.
            Some(&(next_byte, next_utf16)) if next_utf16 - base_utf16 < next_byte - base_byte => {
                base_utf16
            }
            _ => base_utf16 + (byte - base_byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(text: &str, byte: usize) -> usize {
        text[..byte].encode_utf16().count()
    }

    #[test]
    fn matches_javascript_string_indices_on_mixed_scripts() {
        let text = "ab قال «كلام» 😀 x said: “yes” עברית";
        let index = Utf16Index::new(text);
        for (byte, _) in text.char_indices().chain([(text.len(), ' ')]) {
            assert_eq!(index.utf16_offset(byte), naive(text, byte), "byte {byte}");
        }
    }

    #[test]
    fn astral_chars_count_two_units() {
        let text = "😀a";
        let index = Utf16Index::new(text);
        assert_eq!(index.utf16_offset(4), 2);
        assert_eq!(index.utf16_offset(5), 3);
    }

    #[test]
    fn empty_and_ascii_texts() {
        assert_eq!(Utf16Index::new("").utf16_offset(0), 0);
        let index = Utf16Index::new("hello");
        assert_eq!(index.utf16_offset(3), 3);
        assert_eq!(index.utf16_offset(5), 5);
    }
}
