use super::validator_key;

#[test]
fn validator_keys_drop_credentials_but_keep_the_rest() {
    assert_eq!(
        validator_key("https://x/nationtrade?serviceKey=SECRET&strtYymm=202301&cntyCd=KH"),
        "https://x/nationtrade?strtYymm=202301&cntyCd=KH"
    );
    assert_eq!(validator_key("https://x/a?page=2"), "https://x/a?page=2");
    assert_eq!(validator_key("https://x/a"), "https://x/a");
}
