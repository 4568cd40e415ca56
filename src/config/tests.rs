use super::*;

fn args(list: &[&str]) -> Vec<std::ffi::OsString> {
    std::iter::once("tradepact")
        .chain(list.iter().copied())
        .map(Into::into)
        .collect()
}

#[test]
fn tests_parse_flags_without_the_environment() {
    let reads = |command: clap::Command| {
        command
            .get_arguments()
            .filter(|arg| arg.get_env().is_some())
            .count()
    };
    assert!(reads(Cli::command()) > 10, "the binary reads TRADEPACT_*");
    assert_eq!(reads(Cli::parser()), 0, "the tests' parser reads none");
}

#[test]
fn a_config_file_fills_what_flags_do_not_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("tradepact.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:6000\"\nmax-age-hours = 12\npartners = [\"KHM\", \"VNM\"]\nrefresh = false\n",
    )
    .expect("writes");
    let path = file.to_string_lossy().into_owned();
    let cli = Cli::load_from(args(&["--config", &path, "--max-age-hours", "6"])).expect("loads");
    assert_eq!(
        cli.settings.listen.to_string(),
        "127.0.0.1:6000",
        "from the file"
    );
    assert_eq!(
        cli.settings.refresh.max_age_hours, 6,
        "the flag wins over the file"
    );
    assert_eq!(cli.settings.refresh.partners, ["KHM", "VNM"]);
    assert!(!cli.settings.refresh.enabled);
}

#[test]
fn an_unknown_key_in_the_config_file_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("tradepact.toml");
    std::fs::write(&file, "lisen = \"127.0.0.1:6000\"\n").expect("writes");
    let path = file.to_string_lossy().into_owned();
    let error = Cli::load_from(args(&["--config", &path])).expect_err("rejected");
    assert!(error.0.contains("unknown key 'lisen'"), "{error}");
}

#[test]
fn the_printed_configuration_redacts_secrets() {
    let mut settings = Settings::for_tests("t.db".into());
    settings.admin_token = Some(Secret::new("hunter2"));
    settings.refresh.customs_key = Some(Secret::new("abc123"));
    let text = settings.to_toml();
    assert!(
        !text.contains("hunter2") && !text.contains("abc123"),
        "{text}"
    );
    assert!(text.contains("admin-token = \"<redacted>\""), "{text}");
    assert!(text.contains("listen = \"127.0.0.1:0\""), "{text}");
    assert!(format!("{settings:?}").contains("<redacted>"));
}

#[test]
fn validation_names_the_bad_setting() {
    let mut settings = Settings::for_tests("/nonexistent-dir/t.db".into());
    assert!(settings.validate().is_err_and(|e| e.0.contains("--db")));
    settings.db = "t.db".into();
    settings.metrics_listen = "nine".into();
    assert!(
        settings
            .validate()
            .is_err_and(|e| e.0.contains("--metrics-listen"))
    );
    settings.metrics_listen = "off".into();
    assert!(settings.validate().is_ok());
}

#[test]
fn comtrade_hs6_mode_needs_a_key_and_a_sane_chunk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("t.db").to_string_lossy().into_owned();
    let settings = |extra: &[&str]| {
        let mut list = vec!["--db", db.as_str()];
        list.extend_from_slice(extra);
        Cli::load_from(args(&list)).expect("parses").settings
    };
    let keyless = settings(&["--comtrade-hs6", "true"]);
    assert!(
        keyless
            .validate()
            .is_err_and(|e| e.0.contains("--comtrade-hs6 needs --comtrade-key"))
    );
    let keyed = settings(&["--comtrade-hs6", "true", "--comtrade-key", "k"]);
    assert!(keyed.validate().is_ok());
    assert!(keyed.refresh.comtrade_hs6);
    assert_eq!(keyed.refresh.comtrade_partners_per_request, 17);
    for bad in ["0", "501"] {
        let chunk = settings(&["--comtrade-partners-per-request", bad]);
        assert!(
            chunk
                .validate()
                .is_err_and(|e| e.0.contains("--comtrade-partners-per-request")),
            "{bad}"
        );
    }
    let from_file = dir.path().join("tradepact.toml");
    std::fs::write(
        &from_file,
        "comtrade-hs6 = true\ncomtrade-partners-per-request = 40\n",
    )
    .expect("writes");
    let path = from_file.to_string_lossy().into_owned();
    let file = settings(&["--config", &path, "--comtrade-key", "k"]);
    assert!(file.refresh.comtrade_hs6);
    assert_eq!(file.refresh.comtrade_partners_per_request, 40);
}

#[test]
fn reporters_all_stands_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("t.db").to_string_lossy().into_owned();
    let settings = |reporters: &str| {
        Cli::load_from(args(&["--db", db.as_str(), "--reporters", reporters]))
            .expect("parses")
            .settings
    };
    let all = settings("all");
    assert_eq!(all.refresh.reporter_set().ok(), Some(ReporterSet::All));
    assert!(all.validate().is_ok());
    assert_eq!(
        settings(" ALL ").refresh.reporter_set().ok(),
        Some(ReporterSet::All)
    );
    let listed = settings("KOR,VNM");
    assert_eq!(
        listed.refresh.reporter_set().ok(),
        Some(ReporterSet::Listed(&["KOR".to_owned(), "VNM".to_owned()]))
    );
    for mixed in ["all,KOR", "KOR,all"] {
        let error = settings(mixed).validate().expect_err(mixed);
        assert!(error.0.starts_with("--reporters:"), "{error}");
        assert!(error.0.contains("'all'"), "{error}");
    }
}

#[test]
fn a_replica_url_goes_with_the_writer_and_reader_roles_only() {
    let mut settings = Settings::for_tests("t.db".into());
    assert!(
        settings.validate().is_ok(),
        "the default role needs nothing"
    );
    settings.replica = Some("file:///replica".into());
    assert!(
        settings
            .validate()
            .is_err_and(|e| e.0.contains("--replica needs --role"))
    );
    for role in [Role::Writer, Role::Reader] {
        settings.role = role;
        settings.replica = None;
        assert!(
            settings
                .validate()
                .is_err_and(|e| e.0.contains("needs --replica URL")),
            "{role:?}"
        );
        for good in [
            "file:///replica/tradepact",
            "s3://bucket/db?endpoint=minio:9000",
        ] {
            settings.replica = Some(good.into());
            assert!(settings.validate().is_ok(), "{good}");
        }
        for (bad, why) in [
            ("/replica", "expected a URL"),
            ("s3://key:secret@bucket/db", "LITESTREAM_ACCESS_KEY_ID"),
            ("file://replica", "absolute path"),
        ] {
            settings.replica = Some(bad.into());
            assert!(
                settings.validate().is_err_and(|e| e.0.contains(why)),
                "{bad}"
            );
        }
    }
}

#[test]
fn roles_parse_from_flags() {
    let cli = Cli::load_from(args(&["--role", "reader", "--replica", "file:///r"])).expect("loads");
    assert_eq!(cli.settings.role, Role::Reader);
    assert_eq!(cli.settings.replica.as_deref(), Some("file:///r"));
    assert!(
        Cli::parser()
            .try_get_matches_from(args(&["--role", "leader"]))
            .is_err()
    );
}
