//! Reads lines with a memory bound, so one enormous line cannot exhaust memory.

use std::io::{self, BufRead};

/// Outcome of reading one line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// End of input; nothing was read.
    End,
    /// A line is in the buffer (without its `\n` or `\r\n`).
    Complete,
    /// A line longer than the bound was skipped; the buffer is empty.
    TooLong,
}

/// Reads the next line into `buf` (cleared first), keeping at most `max_bytes`; the rest of a longer
/// line is consumed and dropped.
pub(crate) fn read_bounded_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max_bytes: usize,
) -> io::Result<Line> {
    buf.clear();
    let mut read_any = false;
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            break;
        }
        read_any = true;
        let newline = available.iter().position(|&byte| byte == b'\n');
        let chunk = &available[..newline.unwrap_or(available.len())];
        if !too_long {
            if buf.len() + chunk.len() > max_bytes {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let used = newline.map_or(available.len(), |at| at + 1);
        reader.consume(used);
        if newline.is_some() {
            break;
        }
    }
    if !read_any {
        return Ok(Line::End);
    }
    if too_long {
        return Ok(Line::TooLong);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Line::Complete)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_skipped_and_the_next_line_is_intact() {
        let data = b"short\r\nthis line is far too long\nok\nlast line, no newline";
        let mut reader = io::BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        loop {
            match read_bounded_line(&mut reader, &mut buf, 10).expect("in-memory read") {
                Line::End => break,
                Line::TooLong => seen.push("<too long>".to_owned()),
                Line::Complete => seen.push(String::from_utf8_lossy(&buf).into_owned()),
            }
        }
        assert_eq!(seen, ["short", "<too long>", "ok", "<too long>"]);
    }
}
