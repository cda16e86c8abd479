use openstack_http_event_core::event::parse_page;
#[test]
#[ignore]
fn parse_cost() {
    let mut body = String::from("[");
    for i in 0..1000 {
        if i > 0 { body.push(','); }
        body.push_str(&format!(r#"{{"message_id":"bench-{i:07}","event_type":"compute.instance.exists","generated":"2026-01-01T00:00:00.{i:06}","traits":[{{"name":"project_id","type":"string","value":"0123456789abcdef0123456789abcdef"}},{{"name":"tenant_id","type":"string","value":"0123456789abcdef0123456789abcdef"}},{{"name":"user_id","type":"string","value":"fedcba9876543210fedcba9876543210"}},{{"name":"instance_id","type":"string","value":"{i:08x}-0000-4000-8000-{i:012x}"}},{{"name":"state","type":"string","value":"active"}},{{"name":"display_name","type":"string","value":"web-frontend-01.prod.example.org"}},{{"name":"host","type":"string","value":"compute-07.dc1.example.org"}},{{"name":"instance_type","type":"string","value":"m1.medium"}},{{"name":"image_ref_url","type":"string","value":"http://glance.example.org:9292/images/4f5c2c52-8b0e-4b55-9c1e-0b6f4d3a7a10"}},{{"name":"launched_at","type":"string","value":"2026-01-01T00:00:00.000000"}}],"raw":{{}}}}"#));
    }
    body.push(']');
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let t = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..n { total += parse_page(body.as_bytes(), 100).unwrap().events.len(); }
    println!("{} bytes/event, {:.0} ns/event", body.len() / 1000, t.elapsed().as_nanos() as f64 / total as f64);
}
