//! Unit tests of `Config::from_value`: defaults, every option's errors
//! (each naming its key, none showing a secret), every auth type and source.

use super::auth::Domain;
use super::*;
use serde_json::json;

fn err(v: Value) -> String {
    Config::from_value(&v).unwrap_err().to_string()
}

#[test]
fn defaults() {
    let c = Config::from_value(&json!({"url": "http://127.0.0.1:8977"})).unwrap();
    assert_eq!(c.page_size, 100);
    assert_eq!(c.backread, Duration::from_secs(5));
    assert!(c.all_tenants == AllTenants::Auto && c.tls.verify);
    assert_eq!(c.limits, Limits::default());
    assert!(matches!(c.auth, Auth::None));
    assert!(c.event_types.is_none() && c.since.is_none());
}

#[test]
fn keystone_url_loses_v3_and_defaults_apply() {
    let c = Config::from_value(
        &json!({"auth": {"type": "keystone", "url": "https://ks:5000/v3/", "username": "admin", "password": "pw"}}),
    )
    .unwrap();
    let Auth::Keystone(k) = c.auth else { panic!("not keystone") };
    assert_eq!(k.url.as_str(), "https://ks:5000/");
    assert_eq!((k.project_name.as_deref(), &k.user_domain), (None, &Domain::Id("default".into())));
    assert_eq!((k.project_id.as_deref(), &k.project_domain), (None, &Domain::Id("default".into())));
    assert_eq!(k.version, KeystoneVersion::V3);
    assert_eq!(k.interface, Interface::Public);
    assert!(!format!("{k:?}").contains("pw"));
}

#[test]
fn keystone_domains_by_name_and_project_by_id() {
    let base = json!({"type": "keystone", "url": "http://ks:5000", "username": "u", "password": "p"});
    let with = |extra: Value| {
        let mut auth = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            auth[k] = v.clone();
        }
        json!({"auth": auth})
    };
    let c = Config::from_value(&with(
        json!({"user_domain_name": "Users", "project_domain_name": "Projects", "project_id": "p1"}),
    ))
    .unwrap();
    let Auth::Keystone(k) = c.auth else { panic!("not keystone") };
    assert_eq!(k.user_domain, Domain::Name("Users".into()));
    assert_eq!(k.project_domain, Domain::Name("Projects".into()));
    assert_eq!((k.project_id.as_deref(), k.project_name), (Some("p1"), None));
    for whose in ["user", "project"] {
        let t = err(with(json!({format!("{whose}_domain_id"): "d", format!("{whose}_domain_name"): "D"})));
        assert!(
            t.contains(&format!("http.auth.{whose}_domain_name"))
                && t.contains(&format!("http.auth.{whose}_domain_id")),
            "{t}"
        );
    }
    let t = err(with(json!({"project_id": "p1", "project_name": "demo"})));
    assert!(t.contains("http.auth.project_id") && t.contains("http.auth.project_name"), "{t}");
    // one domain by id, the other by name
    let c = Config::from_value(&with(json!({"user_domain_id": "u1", "project_domain_name": "P"}))).unwrap();
    let Auth::Keystone(k) = c.auth else { panic!("not keystone") };
    assert_eq!((k.user_domain, k.project_domain), (Domain::Id("u1".into()), Domain::Name("P".into())));
}

#[test]
fn keystone_v2_from_the_url_or_the_option_and_no_all_tenants() {
    let c = Config::from_value(
        &json!({"auth": {"type": "keystone", "url": "http://ks:5000/v2.0", "username": "u", "password": "p"}}),
    )
    .unwrap();
    let Auth::Keystone(k) = &c.auth else { panic!("not keystone") };
    assert_eq!((k.version, k.url.as_str()), (KeystoneVersion::V2, "http://ks:5000/"));
    assert_eq!(c.all_tenants, AllTenants::Auto);
    let c = Config::from_value(&json!({"auth": {"type": "keystone", "url": "http://ks:5000", "api_version": "v2", "username": "u", "password": "p"}, "all_tenants": true})).unwrap();
    assert_eq!(c.all_tenants, AllTenants::Always);
    assert!(err(
        json!({"auth": {"type": "keystone", "url": "http://k", "api_version": "v4", "username": "u", "password": "p"}})
    )
    .contains("http.auth.api_version"));
}

#[test]
fn a_state_file_is_for_polling_in_an_existing_directory() {
    let push = err(json!({"source": {"type": "push", "allow_anonymous": true}, "state": "/tmp/s.json"}));
    assert!(push.contains("invalid option http.state: is for the sources that are polled"), "{push}");
    let nowhere = err(json!({"url": "http://x", "state": "/no/such/dir/s.json"}));
    assert!(nowhere.contains("http.state: /no/such/dir/s.json: must be a file"), "{nowhere}");
    assert!(err(json!({"url": "http://x", "state": "/tmp"})).contains("http.state"));
    let ok = Config::from_value(&json!({"url": "http://x", "state": "s.json"})).unwrap();
    assert_eq!(ok.state, Some(PathBuf::from("s.json")));
}

#[test]
fn errors_name_the_key() {
    assert!(err(json!({"url": "http://x", "page_size": 0})).contains("http.page_size"));
    assert!(err(json!({"url": "http://x", "page_size": "10"})).contains("http.page_size"));
    assert!(err(json!({"url": "127.0.0.1:8000"})).contains("http.url"));
    assert!(err(json!({"url": "ftp://x"})).contains("http.url"));
    assert!(err(json!({})).contains("http.url"));
    assert!(err(json!({"url": "http://x", "bogus": 1})).contains("http.bogus"));
    assert!(err(json!({"url": "http://x", "backread_seconds": -1})).contains("http.backread_seconds"));
    assert!(err(json!({"url": "http://x", "read_timeout": 0})).contains("http.read_timeout"));
    assert!(err(json!({"url": "http://x", "since": "soon"})).contains("http.since"));
    assert!(err(json!({"url": "http://x", "event_types_regex": "(a"})).contains("http.event_types_regex"));
    assert!(err(json!({"url": "http://x", "all_tenants": "yes"})).contains("http.all_tenants"));
    assert!(err(json!({"url": "http://x", "max_response_bytes": 10})).contains("http.max_response_bytes"));
    assert!(err(json!({"url": "http://x", "max_clock_skew": -1})).contains("http.max_clock_skew"));
    assert!(err(json!({"url": "http://x", "max_nesting": 0})).contains("http.max_nesting"));
    assert!(err(json!({"url": "http://x", "max_page_size": 0})).contains("http.max_page_size"));
    for bad in [json!(0), json!(-1), json!("600")] {
        assert!(err(json!({"url": "http://x", "max_service_wait": bad})).contains("http.max_service_wait"));
    }
    let c = Config::from_value(&json!({"url": "http://x", "max_service_wait": 30})).unwrap();
    assert_eq!(c.limits.max_service_wait, Duration::from_secs(30));
    assert!(err(json!({"url": "http://x", "max_page_size": 2_000_000})).contains("http.max_page_size"));
    let e = err(json!({"url": "http://x", "page_size": 500, "max_page_size": 400}));
    assert!(e.contains("http.max_page_size") && e.contains("500"), "{e}");
    let c = Config::from_value(&json!({"url": "http://x", "page_size": 500, "max_page_size": 50_000})).unwrap();
    assert_eq!(c.limits.max_page_size, 50_000);
    assert!(err(json!({"url": "http://x", "ca_file": "/nonexistent/ca.pem"})).contains("http.ca_file"));
    let e = err(json!({"url": "http://x", "poll_interval": 0.05}));
    assert!(e.contains("http.poll_interval") && e.contains("at least 0.1"), "{e}");
    assert!(err(json!({"url": "http://x", "poll_interval": 0})).contains("http.poll_interval"));
    let c = Config::from_value(&json!({"url": "http://x", "poll_interval": 0.1})).unwrap();
    assert_eq!(c.poll_interval, Duration::from_millis(100));
    assert!(err(json!({"url": "http://x", "ca_file": "/x", "ca_pem": "y"})).contains("http.ca"));
    assert!(err(json!({"url": "http://x", "client_cert": "/etc/hostname"})).contains("http.client_key"));
    assert!(err(json!({"url": "http://x", "proxy": "proxy:3128"})).contains("http.proxy"));
    let e = err(json!({"url": "http://x", "proxy": "socks9://user:pw@proxy"}));
    assert!(e.contains("http.proxy") && !e.contains("pw"), "{e}");
    assert!(Config::from_value(&json!({"url": "http://x", "proxy": "http://user:pw@proxy:3128"}))
        .unwrap()
        .proxy
        .is_some());
    for bad in ["http//admin:hunter22@ks:5000/v3", "http://admin:hunter22@ks:99999/v3", "ftp://admin:hunter22@ks/"] {
        let e = err(json!({"url": bad}));
        assert!(e.contains("http.url") && e.contains("***@ks") && !e.contains("hunter22"), "{e}");
        let e = err(json!({"auth": {"type": "keystone", "url": bad, "username": "u", "password": "p"}}));
        assert!(e.contains("http.auth.url") && !e.contains("hunter22"), "{e}");
    }
    let e = err(json!({"url": "http://x", "proxy": "http://u:hunter22@proxy:99999"}));
    assert!(e.contains("http.proxy") && e.contains("\"http://***@proxy:99999\"") && !e.contains("hunter22"), "{e}");
    assert!(
        err(json!({"url": "http://x", "auth": {"type": "keystone", "url": "http://k"}})).contains("http.auth.username")
    );
    assert!(err(json!({"url": "http://x", "auth": {"type": "token"}})).contains("http.auth.token"));
    assert!(err(json!({"url": "http://x", "auth": {"type": "magic"}})).contains("http.auth.type"));
    assert!(err(json!({"url": "http://x", "auth": {"type": "none", "token": "t"}})).contains("http.auth.token"));
}

#[test]
fn secrets_stay_out_of_errors() {
    let e = err(
        json!({"url": "http://x", "auth": {"type": "keystone", "url": "http://k", "username": "u", "password": "s3cr3t", "interface": "weird"}}),
    );
    assert!(e.contains("http.auth.interface") && !e.contains("s3cr3t"), "{e}");
}

#[test]
fn every_auth_type_parses_and_holds_its_secret() {
    let auth = |a: Value| Config::from_value(&json!({"url": "http://x", "auth": a})).map(|c| c.auth);
    let cases = [
        (json!({"type": "bearer", "token": "t0k3n-b"}), "bearer", "t0k3n-b"),
        (json!({"type": "token", "token": "t0k3n-x"}), "token", "t0k3n-x"),
        (json!({"type": "basic", "username": "u", "password": "pw-basic"}), "basic", "pw-basic"),
        (json!({"type": "header", "name": "X-Api-Key", "value": "k3y-h"}), "header", "k3y-h"),
        (
            json!({"type": "oauth2", "token_url": "http://idp/oauth/token", "client_id": "c", "client_secret": "cs-o", "scope": "read"}),
            "oauth2",
            "cs-o",
        ),
    ];
    for (input, kind, secret) in cases {
        let a = auth(input).unwrap();
        assert_eq!(a.kind(), kind);
        assert_eq!(a.secrets().iter().map(|s| s.expose()).collect::<Vec<_>>(), [secret]);
        assert!(!format!("{a:?}").contains(secret), "{a:?}");
    }
    assert!(auth(json!({"type": "none"})).unwrap().secrets().is_empty());
}

#[test]
fn auth_errors_name_the_key_and_never_the_secret() {
    let e = |a: Value| err(json!({"url": "http://x", "auth": a}));
    let t = e(json!({"type": "magic"}));
    assert!(t.contains("http.auth.type") && t.contains("keystone, token, bearer, basic, header, oauth2, none"), "{t}");
    assert!(e(json!({"type": "bearer"})).contains("http.auth.token"));
    let t = e(json!({"type": "bearer", "token": "tk-secret", "password": "p"}));
    assert!(t.contains("http.auth.password") && t.contains("auth type bearer (it takes: token)"), "{t}");
    assert!(e(json!({"type": "basic", "password": "p"})).contains("http.auth.username"));
    assert!(e(json!({"type": "basic", "username": "u"})).contains("http.auth.password"));
    assert!(e(json!({"type": "basic", "username": "a:b", "password": "pw"})).contains("http.auth.username"));
    assert!(e(json!({"type": "basic", "username": "u", "password": "p", "token": "t"})).contains("http.auth.token"));
    assert!(e(json!({"type": "header", "value": "v"})).contains("http.auth.name"));
    assert!(e(json!({"type": "header", "name": "X-K"})).contains("http.auth.value"));
    for bad in ["Host", "Content-Length", "X Key", "X-Key:"] {
        let t = e(json!({"type": "header", "name": bad, "value": "v4lue-secret"}));
        assert!(t.contains("http.auth.name") && !t.contains("v4lue-secret"), "{t}");
    }
    let t = e(json!({"type": "header", "name": "X-K", "value": "v4lue\nsecret"}));
    assert!(t.contains("http.auth.value") && !t.contains("v4lue"), "{t}");
    let t = e(json!({"type": "bearer", "token": "t0ken\r\nX: y"}));
    assert!(t.contains("http.auth.token") && !t.contains("t0ken"), "{t}");
    let full = json!({"type": "oauth2", "token_url": "http://idp/t", "client_id": "c", "client_secret": "cs-secret"});
    for missing in ["token_url", "client_id", "client_secret"] {
        let mut a = full.clone();
        a.as_object_mut().unwrap().remove(missing);
        assert!(e(a).contains(&format!("http.auth.{missing}")), "{missing}");
    }
    let mut a = full.clone();
    a["token_url"] = json!("idp/token");
    let t = e(a);
    assert!(t.contains("http.auth.token_url") && !t.contains("cs-secret"), "{t}");
    let mut a = full.clone();
    a["username"] = json!("u");
    assert!(e(a).contains("http.auth.username"));
    let t = e(json!({"type": "keystone", "url": "http://k", "username": "u", "password": "p", "client_id": "c"}));
    assert!(t.contains("http.auth.client_id") && t.contains("auth type keystone"), "{t}");
    assert!(e(json!({"type": "none", "token": "t"})).contains("(it takes: no other keys)"));
}

#[test]
fn regexp_hash_with_flags() {
    let c =
        Config::from_value(&json!({"url": "http://x", "event_types_regex": {"source": "COMPUTE", "ignorecase": true}}))
            .unwrap();
    assert!(c.event_types.unwrap().matches("compute.instance.create.end"));
    let c = Config::from_value(&json!({"url": "http://x", "event_types_regex": ""})).unwrap();
    assert!(c.event_types.is_none());
}

#[test]
fn source_by_name_or_type_and_errors_naming_http_source() {
    let source = |v: Value| Config::from_value(&json!({"url": "http://x", "source": v})).map(|c| c.source);
    assert_eq!(Config::from_value(&json!({"url": "http://x"})).unwrap().source, None);
    assert_eq!(source(json!("panko")).unwrap(), Some(Kind::Panko));
    assert_eq!(source(json!("ceilometer")).unwrap(), Some(Kind::Ceilometer));
    assert_eq!(source(json!({"type": "ceilometer"})).unwrap(), Some(Kind::Ceilometer));
    let bogus = err(json!({"url": "http://x", "source": "bogus"}));
    assert!(bogus.contains("http.source") && bogus.contains(":panko, :ceilometer"), "{bogus}");
    assert!(err(json!({"url": "http://x", "source": {"type": "json"}})).contains("http.source.records: is required"));
    assert!(
        err(json!({"url": "http://x", "source": "json"})).contains("http.source: the json source needs its options")
    );
    assert!(bogus.contains("(known: :panko, :ceilometer, :json, :push)"), "{bogus}");
    let push = Config::from_value(&json!({"source": {"type": "push", "listen": "127.0.0.1:0"}})).unwrap();
    assert!(push.push.is_some() && push.url.is_none() && push.source.is_none());
    assert!(err(json!({"source": "push"})).contains("http.source.allow_anonymous"));
    assert!(err(json!({"url": "http://x", "source": {"type": "panko", "url": "y"}})).contains("http.source.url"));
    assert!(err(json!({"url": "http://x", "source": {}})).contains("http.source.type: is required"));
    assert!(err(json!({"url": "http://x", "source": 3})).contains("http.source: must be"));
    let both = err(json!({"url": "http://x", "source": "ceilometer", "all_tenants": true}));
    assert!(both.contains("http.all_tenants"), "{both}");
}
