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
