use super::*;

fn parcel() -> Parcel {
    Parcel {
        tracking_no: Some("SF1234567890".into()),
        express_company: Some("YTO".into()),
        item_desc: "微信红包抱枕*1个".into(),
        contact: None,
    }
}

fn input() -> ShippingInput {
    ShippingInput {
        order_key: OrderKey::by_out_trade_no("1900007291", "order_123"),
        logistics_type: 1,
        delivery_mode: 1,
        is_all_delivered: None,
        shipping_list: vec![parcel()],
        upload_time: "2022-12-15T13:29:35.120+08:00".into(),
        payer_openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
    }
}

fn refused(change: impl FnOnce(&mut ShippingInput)) -> String {
    let mut i = input();
    change(&mut i);
    UploadShippingInfo::new(i).unwrap_err().message
}

#[test]
fn an_express_delivery_serialises_as_wechat_documents_it() {
    let info = UploadShippingInfo::new(input()).unwrap();
    assert_eq!(
        info.body(),
        r#"{"order_key":{"order_number_type":1,"mchid":"1900007291","out_trade_no":"order_123"},"logistics_type":1,"delivery_mode":1,"shipping_list":[{"tracking_no":"SF1234567890","express_company":"YTO","item_desc":"微信红包抱枕*1个"}],"upload_time":"2022-12-15T13:29:35.120+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}"#
    );
}

#[test]
fn a_virtual_delivery_needs_no_tracking_and_a_split_one_says_whether_it_is_complete() {
    let virtual_goods = ShippingInput {
        logistics_type: 3,
        order_key: OrderKey::by_transaction_id("4200000001"),
        shipping_list: vec![Parcel { tracking_no: None, express_company: None, item_desc: "会员月卡".into(), contact: None }],
        ..input()
    };
    let body = UploadShippingInfo::new(virtual_goods).unwrap().body();
    assert!(body.starts_with(r#"{"order_key":{"order_number_type":2,"transaction_id":"4200000001"},"logistics_type":3"#));
    let split = UploadShippingInfo::new(ShippingInput { delivery_mode: 2, is_all_delivered: Some(false), ..input() }).unwrap();
    assert!(split.body().contains(r#""delivery_mode":2,"is_all_delivered":false"#));
}

#[test]
fn every_rule_names_its_field() {
    assert!(refused(|i| i.logistics_type = 5).starts_with("`logistics_type`"));
    assert!(refused(|i| i.delivery_mode = 0).starts_with("`delivery_mode`"));
    assert!(refused(|i| i.delivery_mode = 2).starts_with("`is_all_delivered`"));
    assert!(refused(|i| i.shipping_list.clear()).starts_with("`shipping_list`"));
    assert!(refused(|i| i.shipping_list = vec![parcel(); 16]).starts_with("`shipping_list`"));
    assert!(refused(|i| i.shipping_list[0].tracking_no = None).starts_with("`shipping_list[0].tracking_no`"));
    assert!(refused(|i| i.shipping_list[0].express_company = None).starts_with("`shipping_list[0].express_company`"));
    assert!(refused(|i| i.shipping_list[0].item_desc = "x".repeat(121)).starts_with("`shipping_list[0].item_desc`"));
    assert!(refused(|i| i.shipping_list[0].express_company = Some("SF".into())).starts_with("`shipping_list[0].contact`"));
    assert!(refused(|i| i.upload_time = "2022-12-15 13:29:35".into()).starts_with("`upload_time`"));
    assert!(refused(|i| i.payer_openid = String::new()).starts_with("`payer.openid`"));
    assert!(refused(|i| i.order_key.order_number_type = 3).starts_with("`order_key.order_number_type`"));
    assert!(refused(|i| i.order_key = OrderKey::by_transaction_id("x")).starts_with("`order_key.transaction_id`"));
    assert!(refused(|i| i.order_key.out_trade_no = None).starts_with("`order_key.out_trade_no`"));
}

#[test]
fn sf_express_takes_a_masked_phone_only() {
    let sf = |phone: &str| {
        let mut i = input();
        i.shipping_list[0].express_company = Some("SF".into());
        i.shipping_list[0].contact = Some(Contact { consignor_contact: None, receiver_contact: Some(phone.into()) });
        UploadShippingInfo::new(i)
    };
    assert!(sf("189****1234").is_ok());
    assert!(sf("+86-189****1234").is_ok());
    assert!(sf("18912341234").unwrap_err().message.starts_with("`shipping_list[0].contact.receiver_contact`"));
    assert!(sf("189****12a4").is_err());
}

#[test]
fn errcodes_say_what_to_do() {
    let e = shipping_error(10060001, "支付单不存在");
    assert_eq!((e.status, e.code.as_ref(), e.retry), (503, "shipping_order_not_ready", Retry::Safe));
    assert!(e.message.ends_with("(WeChat said: 支付单不存在)"));
    assert_eq!(shipping_error(10060003, "").status, 409);
    assert_eq!(shipping_error(10060004, "").status, 409);
    assert_eq!(shipping_error(47001, "").wechat_errcode, Some(47001));
}

fn business_body(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().cloned().unwrap()
}

fn from_body(v: serde_json::Value) -> ApiResult<UploadShippingInfo> {
    let key = OrderKey::by_out_trade_no("1900007291", "order_123");
    ShippingInput::from_body(&business_body(v), key, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "2022-12-15T13:29:35.120+08:00")
        .and_then(UploadShippingInfo::new)
}

#[test]
fn the_business_body_becomes_the_upload_with_our_order_key_payer_and_time() {
    let info = from_body(serde_json::json!({
        "out_trade_no": "order_123", "logistics_type": 1, "delivery_mode": 1,
        "shipping_list": [{"tracking_no": "SF1234567890", "express_company": "YTO", "item_desc": "微信红包抱枕*1个"}],
    }))
    .unwrap();
    assert_eq!(info, UploadShippingInfo::new(input()).unwrap());
    assert!(info.completes());
    let record = info.record();
    assert!(record.get("payer").is_none(), "the payer is not kept: {record}");
    assert_eq!(record["shipping_list"][0]["item_desc"], "微信红包抱枕*1个");
}

#[test]
fn a_bad_business_body_names_the_field() {
    let message = |v: serde_json::Value| from_body(v).unwrap_err().message;
    let base = serde_json::json!({"out_trade_no": "order_123", "logistics_type": 3, "delivery_mode": 1, "shipping_list": [{"item_desc": "会员"}]});
    assert!(from_body(base.clone()).is_ok());
    let with = |k: &str, v: serde_json::Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    assert!(message(with("logistics_type", serde_json::json!("3"))).contains("`logistics_type`"));
    assert!(message(with("logistics_type", serde_json::json!(5))).contains("`logistics_type`"));
    assert!(message(with("delivery_mode", serde_json::json!(2))).contains("`is_all_delivered`"));
    assert!(message(with("shipping_list", serde_json::json!({"item_desc": "x"}))).contains("`shipping_list`"));
    assert!(message(with("shipping_list", serde_json::json!([]))).contains("`shipping_list`"));
    assert!(message(with("shipping_list", serde_json::json!([{"item_desc": "x"}, {"item": "y"}]))).contains("`shipping_list[1]`"));
    assert!(message(with("shipping_list", serde_json::json!([{"item_desc": ""}]))).contains("`shipping_list[0].item_desc`"));
    assert!(message(with("upload_time", serde_json::json!("yesterday"))).contains("`upload_time`"));
    assert!(message(with("colour", serde_json::json!("red"))).contains("`colour`"));
    let mut no_mode = base.clone();
    no_mode.as_object_mut().unwrap().remove("delivery_mode");
    assert!(message(no_mode).contains("`delivery_mode` is required"));
}

fn settlement_push() -> String {
    serde_json::json!({
        "ToUserName": "gh_123", "FromUserName": "o_payer", "CreateTime": "1700000100", "MsgType": "event",
        "Event": "trade_manage_order_settlement", "transaction_id": "4200001234202401010000000001",
        "merchant_id": "1900007291", "sub_merchant_id": "", "merchant_trade_no": "order_123",
        "pay_time": "1700000000", "confirm_receive_method": "2", "confirm_receive_time": 1700000100, "settlement_time": "1700000100",
    })
    .to_string()
}

#[test]
fn a_trade_manage_push_is_read_without_the_user() {
    let e = TradeManageEvent::parse(&settlement_push()).unwrap();
    assert_eq!(e.event, "trade_manage_order_settlement");
    assert_eq!(e.create_time, 1_700_000_100);
    assert_eq!(e.out_trade_no.as_deref(), Some("order_123"));
    assert_eq!(e.transaction_id.as_deref(), Some("4200001234202401010000000001"));
    assert_eq!(e.merchant_id.as_deref(), Some("1900007291"));
    assert_eq!(e.key(), "1700000100:trade_manage_order_settlement");
    assert_eq!(e.record["key"], "1700000100:trade_manage_order_settlement");
    assert_eq!(e.record["confirm_receive_method"], "2");
    assert!(!e.record.to_string().contains("o_payer"));
    // `out_trade_no` is read where `merchant_trade_no` is absent; other events are not ours.
    let alt = settlement_push().replace("merchant_trade_no", "out_trade_no");
    assert_eq!(TradeManageEvent::parse(&alt).unwrap().out_trade_no.as_deref(), Some("order_123"));
    assert!(TradeManageEvent::parse(&settlement_push().replace("trade_manage_order_settlement", "subscribe")).is_none());
    assert!(TradeManageEvent::parse("not json").is_none());
    assert!(TradeManageEvent::parse(r#"{"Event":"trade_manage_remind_access_api"}"#).is_none(), "no CreateTime");
    let remind = r#"{"CreateTime":1,"Event":"trade_manage_remind_access_api","msg":"x"}"#;
    assert_eq!(TradeManageEvent::parse(remind).unwrap().out_trade_no, None);
}

#[test]
fn an_event_is_appended_once() {
    let e = TradeManageEvent::parse(&settlement_push()).unwrap();
    let once = e.append_to(None).unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&once).unwrap().as_array().unwrap().len(), 1);
    assert_eq!(e.append_to(Some(&once)), None, "the same CreateTime and Event again");
    let later = TradeManageEvent::parse(&settlement_push().replace("1700000100", "1700000200")).unwrap();
    let twice = later.append_to(Some(&once)).unwrap();
    assert_eq!(serde_json::from_str::<serde_json::Value>(&twice).unwrap().as_array().unwrap().len(), 2);
    assert!(e.append_to(Some("garbage")).is_some(), "an unreadable column starts over");
}
