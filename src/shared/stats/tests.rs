use super::*;

#[test]
fn counts_gather_per_app_and_hour_until_taken() {
    let _ = take();
    flushed();
    count("wx1", counter::LOGINS, 3600 * 10 + 5);
    count("wx1", counter::LOGINS, 3600 * 10 + 50);
    add("wx1", counter::QR_MADE, 2, 3600 * 11);
    count("wx2", counter::PUSHES_RECEIVED, 3600 * 10);
    assert!(claim_flush(), "the first caller schedules the flush");
    assert!(!claim_flush(), "one flush at a time");
    let batches = take();
    assert_eq!(batches["wx1"].counts["10"][counter::LOGINS], 2);
    assert_eq!(batches["wx1"].counts["11"][counter::QR_MADE], 2);
    assert_eq!(batches["wx2"].counts["10"][counter::PUSHES_RECEIVED], 1);
    assert!(take().is_empty());
    flushed();
    assert!(!claim_flush(), "nothing waiting, nothing to schedule");
}

#[test]
fn errcodes_keep_the_latest_few() {
    let _ = take();
    for i in 0..30 {
        errcode("wx1", 40000 + i, "/cgi-bin/x", 100);
    }
    let batch = take().remove("wx1").unwrap();
    assert_eq!(batch.errcodes.len(), KEEP_ERRCODES);
    assert_eq!(batch.errcodes.last().unwrap().errcode, 40029);
    assert_eq!(batch.counts["0"][counter::WECHAT_ERRORS], 30);
}
