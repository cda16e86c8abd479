# frozen_string_literal: true

require "spec_helper"
require "open3"
require "rbconfig"
require "tmpdir"
require "yaml"
require "openstack_http_event_monitor/cli"

RSpec.describe "openstack-http-events" do
  with_lookalike

  let(:exe) { File.expand_path("../exe/openstack-http-events", __dir__) }
  let(:env) { {"OS_PASSWORD" => "secret", "OS_AUTH_URL" => service.keystone_url, "OS_USERNAME" => "admin"} }

  def cli(*args, env: self.env)
    out = StringIO.new
    err = StringIO.new
    status = OpenstackHTTPEventMonitor::CLI.new(args, env, :stdout => out, :stderr => err).run
    [status, out.string, err.string]
  end

  it "check: exit 0 when the service answers, 1 with the reason when not" do
    status, out, = cli("check")
    expect([status, out]).to eq([0, "available: source=panko url=#{service.url}/ auth=keystone\n"])

    status, _, err = cli("check", :env => env.merge("OS_PASSWORD" => "wrong"))
    expect(status).to eq(1)
    expect(err).to include("not available: AuthenticationError")
    expect(err).not_to include("wrong\"")
  end

  it "tail --once: prints the backlog as JSON lines, filtered, and exits" do
    service.generate(:count => 120, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "t")
    service.add_events([panko_event("p1", "2026-01-01T00:00:00.500000", :type => "port.create.end")])
    status, out, err = cli("tail", "--once", "--page-size", "50", "--type-regex", '\A(?!port)')
    expect(status).to eq(0)
    lines = out.lines.map { |l| JSON.parse(l) }
    expect(lines.map { |l| l["message_id"] }).to eq((1..120).map { |i| format("t-%07d", i) })
    expect(lines.first.keys).to eq(%w[message_id event_type timestamp payload])
    expect(err).to include("filtered=1")
    expect(err).not_to include("secret")
  end

  it "rejects bad flags and bad options with status 2, naming them" do
    expect(cli("tail", "--page-size", "many")[0, 3]).to match([2, "", a_string_including("--page-size")])
    status, _, err = cli("tail", "--page-size", "0")
    expect([status, err]).to match([2, a_string_including("http.page_size")])
    expect(cli("frobnicate")[0]).to eq(2)
    expect(cli("--version")[0, 2]).to eq([0, "#{OpenstackHTTPEventMonitor::VERSION}\n"])
  end

  it "--source passes :source (and check names it); an unknown one is a usage error" do
    service.configure(:dialect => "ceilometer")
    status, out, err = cli("check", "--source", "ceilometer")
    expect([status, out, err]).to match([0, "available: source=ceilometer url=#{service.url}/ auth=keystone\n", anything])
    expect(event_requests.last["params"].map(&:first)).not_to include("marker")
    status, _, err = cli("check", "--source", "xml")
    expect([status, err]).to match([2, a_string_including("--source", "panko, ceilometer, json")])
  end

  it "--config FILE: YAML or JSON with the whole :http hash, string or symbol keys; flags override it" do
    Dir.mktmpdir do |dir|
      yaml = File.join(dir, "http.yml")
      File.write(yaml, <<~YAML)
        :url: #{service.url}
        :page_size: 10
        :auth:
          :type: :bearer
          :token: config-bearer-token
      YAML
      service.configure(:auth => "bearer", :token => "config-bearer-token")
      service.generate(:count => 25, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "y")
      status, out, err = cli("check", "--config", yaml)
      expect([status, out]).to eq([0, "available: source=panko url=#{service.url}/ auth=bearer\n"]), err
      status, out, = cli("tail", "--once", "--config", yaml, "--page-size", "20")
      expect([status, out.lines.size]).to eq([0, 25])
      expect(event_requests.last["params"]).to include(["limit", "20"])

      json = File.join(dir, "http.json")
      File.write(json, JSON.generate("url" => service.url, "auth" => {"type" => "bearer", "token" => "wrong-token-0"}))
      expect(cli("check", "--config", json)[0]).to eq(1)
      status, _, err = cli("check", "--config", File.join(dir, "missing.yml"))
      expect([status, err]).to match([2, a_string_including("--config")])
      File.write(json, "{not json")
      expect(cli("check", "--config", json)[0, 3]).to match([2, "", a_string_including("not valid JSON")])
    end
  end

  it "--source json with --config FILE: tails a generic JSON API the file maps; --source json alone is a usage error" do
    service.configure(:auth => "header", :header_name => "X-Api-Key", :header_value => "cli-api-key-31")
    expected = crowded_backlog
    Dir.mktmpdir do |dir|
      path = File.join(dir, "items.yml")
      File.write(path, <<~YAML)
        url: #{service.url}/json/items
        page_size: 100
        auth: {type: header, name: X-Api-Key, value: cli-api-key-31}
        source:
          type: json
          records: /items
          fields: {message_id: /id, event_type: /type, timestamp: /time, payload: /data}
          params: {since: "{since}", limit: "{limit}"}
          paging: {type: token, pointer: /continue, param: continue}
      YAML
      status, out, err = cli("check", "--source", "json", "--config", path, :env => {})
      expect([status, out]).to eq([0, "available: source=json url=#{service.url}/json/items auth=header\n"]), err
      status, out, err = cli("tail", "--once", "--source", "json", "--config", path, :env => {})
      expect(status).to eq(0), err
      expect(out.lines.map { |l| JSON.parse(l)["message_id"] }.sort).to eq(expected.sort)
      expect(err).not_to include("cli-api-key-31")
      # a flag still wins over the file
      expect(cli("check", "--source", "panko", "--config", path, :env => {})[0]).to eq(1)
    end
    status, _, err = cli("check", "--source", "json", "--url", "#{service.url}/json/items", :env => {})
    expect([status, err]).to match([2, a_string_including("--source json needs --config")])
  end

  it "listen: receives what a publisher POSTs and prints it as JSON lines; credentials or --allow-anonymous required" do
    port = free_port
    Dir.mktmpdir do |spool|
      lib = File.expand_path("../lib", __dir__)
      env = {"OHEM_PUSH_PASSWORD" => "listen-pw-4"}
      args = [RbConfig.ruby, "-I", lib, exe, "listen", "--bind", "127.0.0.1", "--port", port.to_s, "--spool", spool,
              "--push-user", "ceilometer", "--max-events", "2"]
      Open3.popen3(env, *args) do |_in, out, err, wait|
        deadline = Time.now + 30
        sleep 0.05 until (TCPSocket.new("127.0.0.1", port).close || true rescue false) || Time.now > deadline
        events = %w[l1 l2].map { |id| ceilometer_event(id) }
        expect(push_post(port, events, :user => "ceilometer", :pass => "listen-pw-4").code).to eq("200")
        expect(wait.value.exitstatus).to eq(0)
        expect(out.read.lines.map { |l| JSON.parse(l)["message_id"] }).to eq(%w[l1 l2])
        expect(err.read).not_to include("listen-pw-4")
      end
    end
    status, _, err = cli("listen", "--port", "0", :env => {})
    expect([status, err]).to match([2, a_string_including("http.source.allow_anonymous")])
    expect(cli("tail", "--port", "1")[0, 3]).to match([2, "", a_string_including("--port: only for listen")])
    expect(cli("listen", "--push-user", "x", :env => {})[0, 3]).to match([2, "", a_string_including("OHEM_PUSH_PASSWORD")])
  end

  it "record --cassette FILE: checks, drains once printing nothing, writes a cassette without secrets" do
    service.generate(:count => 130, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "r")
    Dir.mktmpdir do |dir|
      path = File.join(dir, "out.yml")
      status, out, err = cli("record", "--cassette", path, "--page-size", "50")
      expect([status, out]).to eq([0, ""]), err
      expect(err).to include("recorded", path)
      data = YAML.safe_load(File.read(path))
      bodies = data["http_interactions"].map { |i| i["response"]["body"]["string"] }.join
      expect((1..130).map { |i| format("r-%07d", i) }).to all(satisfy { |id| bodies.include?(id) })
      text = File.read(path)
      (service.tokens + ["secret"]).each { |secret| expect(text).not_to include(secret) }
    end
    expect(cli("record")[0, 3]).to match([2, "", a_string_including("--cassette")])
    expect(cli("tail", "--cassette", "x.yml")[0]).to eq(2)
  end

  it "ends on SIGINT however early it comes, also while starting a receiver", :timeout => 90 do
    lib = File.expand_path("../lib", __dir__)
    [0.2, 0.4, 0.6, 0.8, 1.0, 1.5].each do |delay|
      Dir.mktmpdir("cli-spool") do |spool|
        port = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
        Open3.popen3(RbConfig.ruby, "-I", lib, exe, "listen", "--bind", "127.0.0.1", "--port", port.to_s,
                     "--allow-anonymous", "--spool", spool) do |_in, _out, _err, wait|
          sleep delay
          Process.kill("INT", wait.pid)
          expect(wait.join(15)).to be_truthy, "still running 15 s after an INT sent #{delay} s after it started"
        ensure
          Process.kill("KILL", wait.pid) if wait.alive?
        end
      end
    end
  end

  it "stops on SIGINT and prints a summary", :timeout => 60 do
    lib = File.expand_path("../lib", __dir__)
    Open3.popen3(env, RbConfig.ruby, "-I", lib, exe, "tail", "--poll-interval", "0.1") do |_in, out, err, wait|
      service.add_events([panko_event("live", "2026-01-01T00:00:00.000000")])
      expect(JSON.parse(out.gets)["message_id"]).to eq("live")
      Process.kill("INT", wait.pid)
      expect(wait.value.exitstatus).to eq(0)
      expect(err.read).to include("stopped: polls=")
    end
  end
end
