//! Unit tests of `outbound/multipart.rs`.

use super::*;

#[test]
fn the_body_has_one_file_part_between_boundaries() {
    let (body, ct) = file_part("XyZ", "media", "a.jpg", "image/jpeg", b"\xff\xd8\xffdata");
    assert_eq!(ct, "multipart/form-data; boundary=XyZ");
    let text = String::from_utf8_lossy(&body);
    assert!(text.starts_with(
        "--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    ));
    assert!(text.ends_with("data\r\n--XyZ--\r\n"));
}

#[test]
fn a_hostile_filename_cannot_break_the_header() {
    let (body, _) = file_part("b", "media", "x\"\r\nEvil: 1.jpg", "image/jpeg", b"");
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("filename=\"xEvil: 1.jpg\""), "{text}");
    assert_eq!(text.matches("\r\n").count(), 6);
}
