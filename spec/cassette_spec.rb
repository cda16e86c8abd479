# frozen_string_literal: true

require "spec_helper"
require "tmpdir"
require "yaml"

RSpec.describe "Recording to a VCR cassette and replaying it" do
  with_lookalike

  around do |example|
    Dir.mktmpdir("cassette") do |dir|
      @dir = dir
      example.run
    end
  end

  let(:cassette) { File.join(@dir, "panko.yml") }

  def record(**http)
    mon = monitor(:page_size => 100, :record => cassette, **http)
    mon.verify!
    ids(drain(mon))
  end

  it "records Keystone and several Panko pages, without secrets, in VCR's structure, and replays them" do
    service.generate(:count => 250, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "c")
    service.add_events([panko_event("same-1", "2026-01-01T00:00:03.000000"), panko_event("same-2", "2026-01-01T00:00:03.000000")])
    recorded = record
    expect(recorded.size).to eq(252)

    text = File.read(cassette)
    data = YAML.safe_load(text)
    expect(data["recorded_with"]).to eq("openstack_http_event_monitor #{OpenstackHTTPEventMonitor::VERSION}")
    interactions = data.fetch("http_interactions")
    event_pages = interactions.count { |i| URI(i["request"]["uri"]).path == "/v2/events" }
    expect(event_pages).to be >= 4 # check, then 3 pages
    interactions.each do |i|
      expect(i["request"].keys).to include("method", "uri", "body", "headers")
      expect(i["response"]["status"]).to include("code" => an_instance_of(Integer), "message" => a_kind_of(String))
      expect(i["response"]["body"]).to include("encoding" => "UTF-8", "string" => a_kind_of(String))
      expect(Time.httpdate(i["recorded_at"])).to be_within(600).of(Time.now)
    end
    login = interactions.find { |i| i["request"]["method"] == "post" && i["request"]["uri"].end_with?("/v3/auth/tokens") }
    expect(login["response"]["headers"]["X-Subject-Token"]).to eq(["[REDACTED]"])
    expect(login["request"]["body"]["string"]).to include('"password":"[REDACTED]"').or include('"password": "[REDACTED]"')
    sent = interactions.flat_map { |i| i["request"]["headers"].fetch("X-Auth-Token", []) }
    expect(sent).not_to be_empty
    expect(sent.uniq).to eq(["[REDACTED]"])

    tokens = service.tokens
    expect(tokens).not_to be_empty
    (tokens + ["secret"]).each { |secret| expect(text).not_to include(secret) }

    service.clear_requests
    replayed = with_cassette(cassette) do |url, replay|
      mon = OpenstackHTTPEventMonitor.new(:http => keystone_options(:page_size => 100).merge(
        :auth => {:type => :keystone, :url => "#{url}/identity", :username => "admin", :password => "secret"}
      ))
      mon.verify!
      events = ids(drain(mon))
      expect(replay.unmatched).to be_empty
      expect(replay.requests.map { |r| r["status"] }).to all(be_between(200, 299))
      events
    end
    expect(replayed).to eq(recorded)
    expect(service.requests).to be_empty # the recording service was not asked
  end

  it "replays a cassette however VCR's serializers wrote it, as it is: Psych's YAML (block scalars, anchors, !binary) or JSON" do
    service.configure(:auth => "none")
    service.generate(:count => 150, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "v")
    recorded = record(:url => service.url, :auth => {:type => :none})
    data = YAML.safe_load(File.read(cassette))
    shared = {"encoding" => "UTF-8", "string" => ""}
    data["http_interactions"].each do |i|
      body = i["response"]["body"]
      body["string"] = JSON.pretty_generate(JSON.parse(body["string"])) # many lines: a block scalar
      i["request"]["body"] = shared # the same object twice: Psych writes an anchor and aliases
    end
    bytes = "\xFF\x00\xFEnot UTF-8".b
    blob = {"request" => {"method" => "get", "uri" => "#{service.url}/blob", "body" => shared, "headers" => {}},
            "response" => {"status" => {"code" => 200, "message" => "OK"}, "headers" => {"Content-Type" => ["application/octet-stream"]},
                           "body" => {"encoding" => "ASCII-8BIT", "string" => bytes}},
            "recorded_at" => "Thu, 01 Jan 2026 00:00:00 GMT"}
    psych = File.join(@dir, "psych.yml")
    File.write(psych, YAML.dump(data.merge("http_interactions" => data["http_interactions"] + [blob])))
    expect(File.read(psych)).to include("|-").and include("&1").and include("!binary")
    # VCR's JSON keeps bytes that are not UTF-8 as base64_string (preserve_exact_body_bytes)
    blob["response"]["body"] = {"encoding" => "ASCII-8BIT", "base64_string" => [bytes].pack("m0")}
    json = File.join(@dir, "vcr.json")
    File.write(json, JSON.generate(data.merge("http_interactions" => data["http_interactions"] + [blob])))

    [psych, json].each do |path|
      replayed = with_cassette(path) do |url|
        expect(Net::HTTP.get(URI("#{url}/blob")).b).to eq(bytes)
        ids(drain(OpenstackHTTPEventMonitor.new(:http => {:url => url, :auth => {:type => :none}, :page_size => 100})))
      end
      expect(replayed).to eq(recorded)
    end
  end

  it "refuses a YAML file that is no cassette, naming the file and the line" do
    broken = File.join(@dir, "broken.yml")
    File.write(broken, "http_interactions:\n- request:\n    method: get\n    uri: \"http://h/x\n")
    expect { with_cassette(broken) { raise "not reached" } }
      .to raise_error(RuntimeError, %r{did not start.*broken\.yml: not a YAML VCR cassette: .*line 4}m)
    settings = File.join(@dir, "settings.yml")
    File.write(settings, YAML.dump("http" => {"url" => "http://h"}))
    expect { with_cassette(settings) { raise "not reached" } }
      .to raise_error(RuntimeError, %r{settings\.yml: not a YAML VCR cassette: missing field `http_interactions` at line 2})
  end

  it "answers a request the cassette does not hold with a 404 naming it, and the helper raises" do
    service.configure(:auth => "none")
    service.add_events([panko_event("only", "2026-01-01T00:00:00.000000")])
    record(:auth => {:type => :none}, :url => service.url)
    expect(File.read(cassette)).to include("only")

    expect do
      with_cassette(cassette) do |url|
        mon = OpenstackHTTPEventMonitor.new(:http => {:url => "#{url}/elsewhere", :auth => {:type => :none}})
        expect { mon.verify! }.to raise_error(OpenstackHTTPEventMonitor::Error, /no recorded interaction for GET \/elsewhere\/v2\/events/)
      end
    end.to raise_error(Lookalike::UnmatchedRequests, /GET \/elsewhere\/v2\/events/)
  end

  it "rejects a cassette path it cannot create, naming http.record, before any request" do
    expect { monitor(:record => File.join(@dir, "missing", "x.yml")) }
      .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.record.*cannot create/)
  end
end
