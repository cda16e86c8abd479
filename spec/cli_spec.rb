# frozen_string_literal: true

require "spec_helper"
require "fileutils"
require "open3"
require "rbconfig"
require "tmpdir"
require "yaml"
require "openstack_http_event_monitor/cli"
require_relative "support/tls"

RSpec.describe "openstack-http-events" do
  with_lookalike

  let(:exe) { File.expand_path("../exe/openstack-http-events", __dir__) }
  let(:env) { {"OS_PASSWORD" => "secret", "OS_AUTH_URL" => service.keystone_url, "OS_USERNAME" => "admin"} }

  def cli(*args, env: self.env, stdin: StringIO.new)
    out = StringIO.new
    err = StringIO.new
    status = OpenstackHTTPEventMonitor::CLI.new(args, env, :stdout => out, :stderr => err, :stdin => stdin).run
    [status, out.string, err.string]
  end

  # The bodies of the Keystone v3 token requests made so far.
  def token_requests
    service.requests.select { |r| r["path"].end_with?("/v3/auth/tokens") }.map { |r| JSON.parse(r["body"]) }
  end

  # Two events, one in project demo and one in admin; tokens without the
  # admin role, so that only the scoped project's event is read.
  def events_in_two_projects
    service.configure(:admin => false)
    service.add_events([panko_event("in-demo", "2026-01-01T00:00:00.000000", :project => service.project_id("demo")),
                        panko_event("in-admin", "2026-01-01T00:00:01.000000", :project => service.project_id("admin"))])
  end

  def tailed(*args, **opts)
    status, out, err = cli("tail", "--once", "--no-all-tenants", *args, **opts)
    expect(status).to eq(0), err
    out.lines.map { |l| JSON.parse(l)["message_id"] }
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
        answer = push_post(port, events, :user => "ceilometer", :pass => "listen-pw-4")
        expect(answer.code).to eq("200"), lambda {
          "#{answer.code} #{answer.body}; listen said: #{err.read_nonblock(100_000, :exception => false)}"
        }
        status = wait.value
        expect(status.exitstatus).to eq(0), -> { "listen ended #{status.inspect}: #{err.read}" }
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

  it "--max-events N prints exactly N events (0: none); the summary counts them as printed=N" do
    service.generate(:count => 30, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "m")
    status, out, err = cli("tail", "--max-events", "0")
    expect([status, out]).to eq([0, ""]), err
    expect(err).to match(/^stopped: polls=\d+ events=\d+ printed=0 /)
    status, out, err = cli("tail", "--max-events", "7", "--page-size", "5")
    expect([status, out.lines.map { |l| JSON.parse(l)["message_id"] }]).to eq([0, names("m", 7)])
    expect(err).to include(" printed=7 ")
    status, out, err = cli("tail", "--once", "--max-events", "100")
    expect([status, out.lines.size]).to eq([0, 30])
    expect(err).to include(" printed=30 ")
    expect(cli("tail", "--max-events", "-1")[0, 3]).to match([2, "", a_string_including("--max-events", "0 or more")])
  end

  it "-q is silent: no summary, no info or warning logs, errors still said" do
    service.generate(:count => 3, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "q")
    status, out, err = cli("tail", "--once", "--password", "secret")
    expect([status, out.lines.size]).to eq([0, 3])
    expect(err).to include("stopped:", "INFO", "visible to other users")
    status, out, err = cli("tail", "--once", "-q", "--password", "secret")
    expect([status, out.lines.size, err]).to eq([0, 3, ""])
    status, out, err = cli("check", "--quiet")
    expect([status, out, err]).to eq([0, "available: source=panko url=#{service.url}/ auth=keystone\n", ""])
    Dir.mktmpdir do |dir|
      expect(cli("record", "-q", "--cassette", File.join(dir, "q.yml"))).to eq([0, "", ""])
    end
    status, _, err = cli("check", "-q", :env => env.merge("OS_PASSWORD" => "wrong"))
    expect([status, err]).to match([1, a_string_including("not available: AuthenticationError")])
    expect(err).not_to include("INFO", "WARN")
  end

  it "Ctrl-C during check: status 130, no backtrace", :timeout => 60 do
    service.faults({"path" => "keystone", "count" => 1, "delay_ms" => 30_000})
    lib = File.expand_path("../lib", __dir__)
    Open3.popen3(env, RbConfig.ruby, "-I", lib, exe, "check") do |_in, out, err, wait|
      deadline = Time.now + 30
      sleep 0.05 until service.requests.any? { |r| r["status"].zero? } || Time.now > deadline
      expect(service.requests).not_to be_empty
      Process.kill("INT", wait.pid)
      expect(wait.join(15)).to be_truthy, "still running 15 s after an INT"
      expect(wait.value.exitstatus).to eq(130)
      expect(out.read).to eq("")
      text = err.read
      expect(text).to include("interrupted")
      expect(text).not_to match(/\.rb:\d+:in |Interrupt\)|\(Interrupt\)/)
    ensure
      Process.kill("KILL", wait.pid) if wait.alive?
    end
  end

  it "documents its exit statuses and --project's real default in --help" do
    status, out, = cli("--help")
    expect(status).to eq(0)
    expect(out).to include("Exit status: 0 fine", "1 not available or failed", "2 usage or configuration error",
                           "130 interrupted")
    expect(out).to match(/--project NAME +project scope \(default: admin, else the first reachable project other than services\)/)
    expect(out).to match(/--ca-file PATH .*\(env OS_CACERT\)/)
    expect(out).to match(/--\[no-\]insecure .*OS_INSECURE/)
    expect(out).to match(/-f, --format FORMAT +tail, listen: json \(default\), table or value/)
    expect(out).to include("--fields A,B,C", "--type TYPE", "--event-project ID", "--progress SECONDS", "NO_COLOR")
  end

  it "--since: now, 30s/15m/2h/1d ago, a date (midnight UTC) or an ISO 8601 timestamp; anything else is a usage error" do
    ago = ->(seconds) { (Time.now.utc - seconds).strftime("%Y-%m-%dT%H:%M:%S.%6N") }
    day = (Time.now.utc - (10 * 86_400)).strftime("%Y-%m-%d")
    eve = (Time.now.utc - (11 * 86_400)).strftime("%Y-%m-%d")
    service.add_events([panko_event("d1", "#{eve}T23:59:59.000000"), panko_event("d2", "#{day}T00:00:00.500000"),
                        panko_event("h3", ago.call(3 * 3600)), panko_event("m40", ago.call(40 * 60)),
                        panko_event("m10", ago.call(10 * 60))])
    printed = lambda do |since|
      status, out, err = cli("tail", "--once", "--since", since)
      expect(status).to eq(0), err
      out.lines.map { |l| JSON.parse(l)["message_id"] }
    end
    expect(printed.call(day)).to eq(%w[d2 h3 m40 m10])
    expect(printed.call("1d")).to eq(%w[h3 m40 m10])
    expect(printed.call("2h")).to eq(%w[m40 m10])
    expect(printed.call("15m")).to eq(%w[m10])
    expect(printed.call("300s")).to eq([])
    expect(printed.call("now")).to eq([])
    expect(printed.call("#{day}T00:00:00.600000")).to eq(%w[h3 m40 m10])
    expect(printed.call("#{day}T02:00:00+02:00")).to eq(%w[d2 h3 m40 m10])
    expect(printed.call("#{day} 00:00:00.400Z")).to eq(%w[d2 h3 m40 m10])
    expect(printed.call("#{eve}T23:59")).to eq(%w[d1 d2 h3 m40 m10])
    %w[yesterday 15x 1w -2h 2026-13-01 2026-02-30 2026-01-02T25:00:00 2026/01/02 2026-01-02T00:00:00Q].each do |bad|
      status, out, err = cli("tail", "--once", "--since", bad)
      expect([status, out, err]).to match([2, "", a_string_including("--since", bad.inspect)]), bad
    end
  end

  it "gives up after --retries failed attempts in a row: check and tail --once against a port nobody listens on",
     :timeout => 60 do
    closed = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
    url = "http://127.0.0.1:#{closed}"
    status, out, err = cli("check", "--url", url, "--retries", "2", :env => {})
    expect([status, out]).to eq([1, ""])
    expect(err.lines.last).to match(/\Anot available: ConnectionError: .*\(after 2 attempts\)\n\z/)
    expect(err.lines.grep(/GET .*#{closed}/).size).to eq(2)
    status, out, err = cli("tail", "--once", "--url", url, "--retries", "2", :env => {})
    expect([status, out]).to eq([1, ""])
    expect(err.lines.last).to match(/\Aopenstack-http-events: gave up after 2 failed polls in a row: .*#{closed}/)
    expect(cli("tail", "--once", "--url", url, "--retries", "0", :env => {})[0]).to eq(2)
  end

  it "--poll-interval below 0.1 is a usage error naming the flag" do
    %w[0.05 0 -1].each do |seconds|
      status, out, err = cli("tail", "--once", "--poll-interval", seconds)
      expect([status, out, err]).to match([2, "", a_string_including("--poll-interval", "at least 0.1")]), seconds
      expect(err).not_to include("http.poll_interval")
    end
    expect(cli("tail", "--once", "--poll-interval", "0.1")[0]).to eq(0)
  end

  describe "output like the OpenStack client: -f json|table|value, --fields" do
    before do
      service.add_events([
        panko_event("o1", "2026-01-01T00:00:00.000000", :project => "proj-a", :traits => {"instance_id" => "vm-1", "state" => "active"}),
        panko_event("o2", "2026-01-01T00:00:01.000000", :type => "volume.create.end",
                    :traits => {"tenant_id" => "proj-b", "resource_id" => "vol-2", "instance_id" => "vm-9"}),
        panko_event("o3", "2026-01-01T00:00:02.000000", :type => "identity.authenticate",
                    :traits => {"user_id" => "user-7", "image_id" => "img-3"})
      ])
    end

    it "-f table: a header, then one aligned line per event (timestamp, event_type, project, resource); no colour in a pipe" do
      status, out, err = cli("tail", "--once", "-f", "table")
      expect(status).to eq(0), err
      row = ->(*values) { format("%-26s %-32s %-32s %s\n", *values) }
      expect(out.lines).to eq([row.call("TIMESTAMP", "EVENT_TYPE", "PROJECT", "RESOURCE"),
                               row.call("2026-01-01T00:00:00.000000", "compute.instance.create.end", "proj-a", "vm-1"),
                               row.call("2026-01-01T00:00:01.000000", "volume.create.end", "proj-b", "vol-2"),
                               row.call("2026-01-01T00:00:02.000000", "identity.authenticate", "-", "img-3")])
      status, out, = cli("tail", "--once", "--format", "table", "--fields", "message_id,state")
      expect([status, out.lines.map(&:split)]).to eq([0, [%w[MESSAGE_ID STATE], %w[o1 active], %w[o2 -], %w[o3 -]]])
    end

    it "-f value: the values separated by spaces; -f json (the default) with --fields: those fields only" do
      status, out, = cli("tail", "--once", "-f", "value")
      expect([status, out]).to eq([0, "2026-01-01T00:00:00.000000 compute.instance.create.end proj-a vm-1\n" \
                                      "2026-01-01T00:00:01.000000 volume.create.end proj-b vol-2\n" \
                                      "2026-01-01T00:00:02.000000 identity.authenticate - img-3\n"])
      status, out, = cli("tail", "--once", "-f", "value", "--fields", "event_type,user_id")
      expect([status, out.lines]).to eq([0, ["compute.instance.create.end -\n", "volume.create.end -\n",
                                             "identity.authenticate user-7\n"]])
      status, out, = cli("tail", "--once", "--fields", "message_id,project,instance_id")
      expect([status, out.lines.map { |l| JSON.parse(l) }]).to eq(
        [0, [{"message_id" => "o1", "project" => "proj-a", "instance_id" => "vm-1"},
             {"message_id" => "o2", "project" => "proj-b", "instance_id" => "vm-9"},
             {"message_id" => "o3", "project" => nil, "instance_id" => nil}]]
      )
      status, out, = cli("tail", "--once", "-f", "json")
      expect([status, out.lines.map { |l| JSON.parse(l).keys }.uniq]).to eq([0, [%w[message_id event_type timestamp payload]]])
    end

    it "an unknown format or an empty field list is a usage error naming the flag; check and record take neither" do
      expect(cli("tail", "--once", "-f", "yaml")[0, 3]).to match([2, "", a_string_including("-f/--format", "\"yaml\"", "json, table, value")])
      expect(cli("tail", "--once", "--fields", "")[0, 3]).to match([2, "", a_string_including("--fields")])
      expect(cli("tail", "--once", "-f", "value", "--fields", ",")[0, 3]).to match([2, "", a_string_including("--fields")])
      expect(cli("check", "-f", "table")[0, 3]).to match([2, "", a_string_including("-f/--format: only for tail and listen")])
      expect(cli("check", "--type", "x")[0, 3]).to match([2, "", a_string_including("--type: only for tail and listen")])
    end

    it "colours table lines only when stdout is a terminal and NO_COLOR is not set", :timeout => 60 do
      require "pty"
      lib = File.expand_path("../lib", __dir__)
      run_in_pty = lambda do |extra_env|
        text = +""
        PTY.spawn(env.merge(extra_env), RbConfig.ruby, "-I", lib, exe, "tail", "--once", "-q", "-f", "table") do |reader, _writer, pid|
          begin
            reader.each_line { |line| text << line }
          rescue Errno::EIO
            nil # the child closed the terminal
          end
          Process.wait(pid)
        end
        [$?.exitstatus, text]
      end
      status, text = run_in_pty.call({})
      expect(status).to eq(0)
      expect(text).to include("\e[32mcompute.instance.create.end\e[0m", "\e[1mTIMESTAMP\e[0m")
      expect(text.gsub(/\e\[\d+m/, "")).to include("identity.authenticate       ", "img-3")
      status, text = run_in_pty.call({"NO_COLOR" => "1"})
      expect([status, text]).to match([0, a_string_including("compute.instance.create.end")])
      expect(text).not_to include("\e[")
      out, _err, st = Open3.capture3(env, RbConfig.ruby, "-I", lib, exe, "tail", "--once", "-f", "table")
      expect([st.exitstatus, out]).to match([0, a_string_including("vol-2")])
      expect(out).not_to include("\e[")
    end
  end

  describe "filters: --type (repeatable), --event-project" do
    before do
      service.add_events((1..12).map do |i|
        type = %w[compute.instance.create.end volume.create.end identity.authenticate][i % 3]
        traits = i.even? ? {"project_id" => "proj-even"} : {"tenant_id" => "proj-odd"}
        panko_event(format("f%02d", i), format("2026-01-01T00:00:%02d.000000", i), :type => type, :traits => traits)
      end)
    end

    it "prints only the events of any --type given and of the --event-project (project_id or tenant_id)" do
      printed = lambda do |*args|
        status, out, err = cli("tail", "--once", "--fields", "message_id", *args)
        expect(status).to eq(0), err
        [out.lines.map { |l| JSON.parse(l)["message_id"] }, err]
      end
      ids, err = printed.call("--type", "volume.create.end")
      expect(ids).to eq(%w[f01 f04 f07 f10])
      expect(err).to include(" printed=4 ", "not_matched=8")
      expect(printed.call("--type", "volume.create.end", "--type", "identity.authenticate")[0]).to eq(%w[f01 f02 f04 f05 f07 f08 f10 f11])
      expect(printed.call("--type", "volume.create")[0]).to eq([])
      expect(printed.call("--event-project", "proj-odd")[0]).to eq(%w[f01 f03 f05 f07 f09 f11])
      expect(printed.call("--event-project", "proj-even", "--type", "volume.create.end")[0]).to eq(%w[f04 f10])
      expect(printed.call("--event-project", "nobody")[0]).to eq([])
    end

    it "--max-events counts printed events only" do
      status, out, err = cli("tail", "--max-events", "3", "--type", "identity.authenticate", "--page-size", "2", "-f", "value",
                             "--fields", "message_id")
      expect([status, out]).to eq([0, "f02\nf05\nf08\n"]), err
      expect(err).to include(" printed=3 ")
    end
  end

  it "--progress SECONDS: a status line on stderr every SECONDS, explaining back-read duplicates once", :timeout => 60 do
    service.generate(:count => 5, :start => "2026-01-01T00:00:00", :step_ms => 10, :prefix => "s")
    lib = File.expand_path("../lib", __dir__)
    Open3.popen3(env, RbConfig.ruby, "-I", lib, exe, "tail", "-q", "--poll-interval", "0.1", "--progress", "0.1",
                 "-f", "value") do |_in, out, err, wait|
      expect(out.gets).to start_with("2026-01-01T00:00:00.000000 ")
      lines = []
      lines << err.gets until lines.count { |l| l.start_with?("status: ") } >= 3
      Process.kill("INT", wait.pid)
      expect(wait.value.exitstatus).to eq(0)
      lines += err.read.lines
      status = lines.grep(/\Astatus: /)
      expect(status).to all(match(/\Astatus: \d+\.\d events\/s polls=\d+ retries=\d+ filtered=\d+ duplicates_dropped=\d+ printed=5\n\z/))
      expect(status.last[/duplicates_dropped=(\d+)/, 1].to_i).to be_positive
      expect(lines.grep(/re-reads the last 5 s so events committed late are not missed/).size).to eq(1)
    ensure
      Process.kill("KILL", wait.pid) if wait.alive?
    end
    expect(cli("tail", "--progress", "0")[0, 3]).to match([2, "", a_string_including("--progress")])
  end

  describe "OpenStack's TLS variables" do
    before(:all) { @ca = TestCA.new }
    after(:all) { @ca&.cleanup }

    it "OS_CACERT is --ca-file, OS_INSECURE (true, 1, yes) is --insecure; flags win" do
      Lookalike.open(:tls => @ca.server, :no_auth => true) do |tls|
        base = {"OHEM_URL" => tls.url}
        status, _, err = cli("check", :env => base)
        expect([status, err]).to match([1, a_string_including("SSLError")])
        expect(cli("check", :env => base.merge("OS_CACERT" => @ca.path("ca.pem")))[0]).to eq(0)
        expect(cli("check", "--ca-file", File.join(@ca.dir, "missing.pem"), :env => base.merge("OS_CACERT" => @ca.path("ca.pem")))[0]).not_to eq(0)
        %w[true 1 yes YES].each do |value|
          status, _, err = cli("check", :env => base.merge("OS_INSECURE" => value))
          expect(status).to eq(0), "OS_INSECURE=#{value}: #{err}"
        end
        %w[false 0 no].each do |value|
          expect(cli("check", :env => base.merge("OS_INSECURE" => value))[0]).to eq(1), "OS_INSECURE=#{value}"
        end
        expect(cli("check", "--no-insecure", :env => base.merge("OS_INSECURE" => "true"))[0]).to eq(1)
        expect(cli("check", "--insecure", :env => base)[0]).to eq(0)
        expect(cli("check", :env => base.merge("OS_INSECURE" => "maybe"))[0, 3]).to match([2, "", a_string_including("OS_INSECURE")])
        # a --config holding ca_pem keeps it: OS_CACERT (from an openrc) does not conflict with it
        Dir.mktmpdir do |dir|
          config = File.join(dir, "tls.json")
          File.write(config, JSON.generate("url" => tls.url, "ca_pem" => File.read(@ca.path("ca.pem"))))
          status, _, err = cli("check", "--config", config, :env => {"OS_CACERT" => File.join(dir, "missing.pem")})
          expect(status).to eq(0), err
        end
      end
    end

    it "--ca-file and OS_CACERT holding the server's own self-signed CA:TRUE certificate trust it, as curl --cacert does" do
      own = @ca.self_signed("own")
      other = @ca.self_signed("other")
      Lookalike.open(:tls => own, :no_auth => true) do |tls|
        tls.add_events([panko_event("over-tls", "2026-01-01T00:00:00.000000")])
        base = {"OHEM_URL" => tls.url}
        lib = File.expand_path("../lib", __dir__)
        out, err, status = Open3.capture3(base, RbConfig.ruby, "-I", lib, exe, "tail", "--once", "--ca-file", own[0],
                                          "-f", "value", "--fields", "message_id")
        expect([status.exitstatus, out]).to eq([0, "over-tls\n"]), err
        status, _, err = cli("check", :env => base.merge("OS_CACERT" => own[0]))
        expect(status).to eq(0), err
        # not trusted: the message says how to trust it
        status, _, err = cli("check", :env => base)
        expect([status, err]).to match([1, a_string_including("SSLError", "presents a CA certificate", "--ca-file")])
        # another self-signed certificate for the same names does not do
        status, _, err = cli("check", "--ca-file", other[0], :env => base)
        expect([status, err]).to match([1, a_string_including("SSLError", "presents a CA certificate")])
      end
    end

    it "a cloud's cacert is --ca-file, its verify: false --insecure; flags and OS_INSECURE win" do
      Lookalike.open(:tls => @ca.server, :no_auth => true) do |tls|
        Dir.mktmpdir do |dir|
          file = File.join(dir, "clouds.yaml")
          File.write(file, YAML.dump("clouds" => {"ca" => {"cacert" => @ca.path("ca.pem")}, "loose" => {"verify" => false},
                                                  "strict" => {"verify" => true}}))
          base = {"OHEM_URL" => tls.url, "OS_CLIENT_CONFIG_FILE" => file}
          expect(cli("check", "--os-cloud", "strict", :env => base)[0, 3]).to match([1, "", a_string_including("SSLError")])
          expect(cli("check", "--os-cloud", "ca", :env => base)[0]).to eq(0)
          expect(cli("check", "--os-cloud", "loose", :env => base)[0]).to eq(0)
          expect(cli("check", "--os-cloud", "loose", "--no-insecure", :env => base)[0]).to eq(1)
          expect(cli("check", "--os-cloud", "loose", :env => base.merge("OS_INSECURE" => "false"))[0]).to eq(1)
          expect(cli("check", "--os-cloud", "strict", :env => base.merge("OS_INSECURE" => "true"))[0]).to eq(0)
        end
      end
    end
  end

  it "OS_PROJECT_ID and --project-id scope by project id; an id beats a name given the same way; a flag beats a variable" do
    events_in_two_projects
    demo = service.project_id("demo")
    expect(tailed(:env => env.merge("OS_PROJECT_ID" => demo))).to eq(%w[in-demo])
    expect(token_requests.map { |r| r["auth"]["scope"] }).to eq([{"project" => {"id" => demo}}])
    expect(service.requests.map { |r| r["path"] }.grep(%r{/auth/projects})).to be_empty
    # Horizon's openrc sets both: the id is used, as keystoneauth does
    expect(tailed(:env => env.merge("OS_PROJECT_ID" => demo, "OS_PROJECT_NAME" => "admin"))).to eq(%w[in-demo])
    expect(tailed("--project-id", demo, :env => env.merge("OS_PROJECT_NAME" => "admin"))).to eq(%w[in-demo])
    expect(tailed("--project", "admin", :env => env.merge("OS_PROJECT_ID" => demo))).to eq(%w[in-admin])
    status, _, err = cli("check", "--project", "admin", "--project-id", demo)
    expect([status, err]).to match([2, a_string_including("--project-id and --project")])
    status, _, err = cli("check", :env => env.merge("OS_PROJECT_ID" => "abc123"))
    expect([status, err]).to match([1, a_string_including("AuthenticationError", "project id \"abc123\"")])
    expect(err).not_to include("is not used")
    service.configure(:auth => "token", :token => "ready-token-5")
    status, out, = cli("check", :env => {"OHEM_URL" => service.url, "OS_TOKEN" => "ready-token-5", "OS_PROJECT_ID" => "abc123"})
    expect([status, out]).to eq([0, "available: source=panko url=#{service.url}/ auth=token\n"])
  end

  it "OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME and their flags send the domains by name" do
    names = {"OS_USER_DOMAIN_NAME" => "Default", "OS_PROJECT_DOMAIN_NAME" => "Default", "OS_PROJECT_NAME" => "admin"}
    status, _, err = cli("check", :env => env.merge(names))
    expect(status).to eq(0), err
    body = token_requests.last["auth"]
    expect(body["identity"]["password"]["user"]["domain"]).to eq("name" => "Default")
    expect(body["scope"]["project"]["domain"]).to eq("name" => "Default")
    status, _, err = cli("check", :env => env.merge("OS_USER_DOMAIN_NAME" => "Elsewhere"))
    expect([status, err]).to match([1, a_string_including("AuthenticationError", "domain name \"Elsewhere\"")])
    # a flag naming the domain by name replaces the variable's id
    service.clear_requests
    status, _, err = cli("check", "--user-domain-name", "Default", "--project-domain-name", "Default", "--project", "admin",
                         :env => env.merge("OS_USER_DOMAIN_ID" => "elsewhere", "OS_PROJECT_DOMAIN_ID" => "elsewhere"))
    expect(status).to eq(0), err
    expect(token_requests.last["auth"]["scope"]["project"]["domain"]).to eq("name" => "Default")
    # both variables set: the id is used
    expect(cli("check", :env => env.merge("OS_USER_DOMAIN_ID" => "default", "OS_USER_DOMAIN_NAME" => "Elsewhere"))[0]).to eq(0)
    status, _, err = cli("check", "--user-domain", "default", "--user-domain-name", "Default")
    expect([status, err]).to match([2, a_string_including("--user-domain and --user-domain-name")])
  end

  describe "--os-cloud and clouds.yaml" do
    around do |example|
      Dir.mktmpdir("clouds") do |dir|
        @dir = dir
        example.run
      end
    end

    let(:cloud_password) { "cloud-pw-91c3e7" }

    def write_clouds(path, clouds, secure: nil)
      FileUtils.mkdir_p(File.dirname(path))
      File.write(path, YAML.dump("clouds" => clouds))
      File.write(File.join(File.dirname(path), "secure.yaml"), YAML.dump("clouds" => secure)) if secure
      path
    end

    def lab_cloud(**auth)
      {"auth" => {"auth_url" => service.keystone_url, "username" => "admin", "project_name" => "admin",
                  "user_domain_name" => "Default", "project_domain_name" => "Default"}.merge(auth),
       "region_name" => "RegionOne", "interface" => "public", "identity_api_version" => 3}
    end

    let(:xdg) { File.join(@dir, "config") }
    let(:cloud_env) { {"XDG_CONFIG_HOME" => xdg, "HOME" => @dir} }

    it "reads the cloud from $XDG_CONFIG_HOME/openstack/clouds.yaml with secure.yaml's password; never prints it" do
      service.configure(:password => cloud_password)
      write_clouds(File.join(xdg, "openstack", "clouds.yaml"), {"lab" => lab_cloud, "other" => {}},
                   :secure => {"lab" => {"auth" => {"password" => cloud_password}}})
      status, out, err = cli("check", "-v", :env => cloud_env.merge("OS_CLOUD" => "lab"))
      expect([status, out]).to eq([0, "available: source=panko url=#{service.url}/ auth=keystone\n"]), err
      expect(out + err).not_to include(cloud_password)
      body = token_requests.last["auth"]
      expect(body["identity"]["password"]["user"]).to include("name" => "admin", "domain" => {"name" => "Default"})
      expect(body["scope"]["project"]).to eq("name" => "admin", "domain" => {"name" => "Default"})
      # --os-cloud, the same; OS_* variables and flags override the cloud's values
      expect(cli("check", "--os-cloud", "lab", :env => cloud_env)[0]).to eq(0)
      status, _, err = cli("check", "--os-cloud", "lab", :env => cloud_env.merge("OS_PASSWORD" => "wrong-pw"))
      expect([status, err]).to match([1, a_string_including("AuthenticationError")])
      expect(err).not_to include(cloud_password)
      expect(cli("check", "--os-cloud", "lab", "--region", "Nowhere", :env => cloud_env)[0, 3])
        .to match([1, "", a_string_including("ServiceNotAvailable", "Nowhere")])
      # a project id from the environment replaces the cloud's project name
      events_in_two_projects
      demo = service.project_id("demo")
      expect(tailed("--os-cloud", "lab", :env => cloud_env.merge("OS_PROJECT_ID" => demo))).to eq(%w[in-demo])
    end

    it "takes ./clouds.yaml first, and OS_CLIENT_CONFIG_FILE before any" do
      write_clouds(File.join(xdg, "openstack", "clouds.yaml"), {"lab" => lab_cloud("password" => "wrong-pw")})
      expect(cli("check", "--os-cloud", "lab", :env => cloud_env)[0]).to eq(1)
      here = File.join(@dir, "cwd")
      write_clouds(File.join(here, "clouds.yaml"), {"lab" => lab_cloud("password" => "secret")})
      expect(Dir.chdir(here) { cli("check", "--os-cloud", "lab", :env => cloud_env) }[0]).to eq(0)
      named = write_clouds(File.join(@dir, "elsewhere", "mine.yaml"), {"lab" => lab_cloud("password" => "secret")})
      expect(cli("check", "--os-cloud", "lab", :env => cloud_env.merge("OS_CLIENT_CONFIG_FILE" => named))[0]).to eq(0)
      status, _, err = cli("check", :env => cloud_env.merge("OS_CLOUD" => "lab", "OS_CLIENT_CONFIG_FILE" => File.join(@dir, "none.yaml")))
      expect([status, err]).to match([2, a_string_including("OS_CLIENT_CONFIG_FILE", "none.yaml")])
    end

    it "an unknown cloud is a usage error naming the file and the clouds in it; no clouds.yaml names where it looked" do
      file = write_clouds(File.join(xdg, "openstack", "clouds.yaml"), {"lab" => lab_cloud, "prod" => lab_cloud})
      status, out, err = cli("check", "--os-cloud", "staging", :env => cloud_env)
      expect([status, out]).to eq([2, ""])
      expect(err).to include("--os-cloud", "\"staging\"", file, "lab, prod")
      status, _, err = cli("check", :env => cloud_env.merge("OS_CLOUD" => "staging"))
      expect([status, err]).to match([2, a_string_including("OS_CLOUD", "staging")])
      unless File.exist?("/etc/openstack/clouds.yaml")
        FileUtils.rm_rf(xdg)
        status, _, err = Dir.chdir(@dir) { cli("check", "--os-cloud", "lab", :env => cloud_env) }
        expect([status, err]).to match([2, a_string_including("no clouds.yaml", File.join(xdg, "openstack", "clouds.yaml"))])
      end
      write_clouds(File.join(xdg, "openstack", "clouds.yaml"), {"tok" => {"auth_type" => "token", "auth" => {"token" => "t"}}})
      status, _, err = cli("check", "--os-cloud", "tok", :env => cloud_env)
      expect([status, err]).to match([2, a_string_including("auth_type \"token\"")])
    end
  end

  describe "asking for the password" do
    require "pty"
    require "io/console"

    let(:no_password) { env.except("OS_PASSWORD") }

    it "on a terminal: asks without echo and uses the answer" do
      master, slave = PTY.open
      answered = Thread.new do
        deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 30
        # answer once echo is off: what is typed then is not echoed back
        sleep 0.01 while slave.echo? && Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
        master.write("secret\n")
      end
      status, out, err = cli("check", :env => no_password, :stdin => slave)
      answered.join
      expect([status, out]).to eq([0, "available: source=panko url=#{service.url}/ auth=keystone\n"]), err
      expect(err).to include("Password for \"admin\" at #{service.keystone_url}: ")
      expect(err).not_to include("secret")
      echoed = begin
        master.read_nonblock(4096)
      rescue IO::WaitReadable, EOFError, Errno::EIO
        ""
      end
      expect(echoed).not_to include("secret")
      expect(slave.echo?).to be(true) # echo restored
    ensure
      master&.close
      slave&.close
    end

    it "on a pipe: does not ask; the missing password is a configuration error" do
      reader, writer = IO.pipe
      writer.write("secret\n")
      writer.close
      status, out, err = cli("check", :env => no_password, :stdin => reader)
      expect([status, out]).to eq([2, ""])
      expect(err).to include("http.auth.password")
      expect(err).not_to include("Password for")
      expect(reader.read).to eq("secret\n") # not read
    ensure
      reader&.close
    end
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
