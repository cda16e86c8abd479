# frozen_string_literal: true

require "spec_helper"
require "json"
require "open3"
require "pathname"
require "rbconfig"
require "stringio"
require "tmpdir"
require "openstack_http_event_monitor/cli"

# Start and resume: `:state` / `--state FILE` keeps the cursor and the
# de-duplication window between runs, so that a restarted monitor neither
# repeats nor skips an event.
RSpec.describe "State file (:state, --state)" do
  with_lookalike

  around do |example|
    Dir.mktmpdir("ohem-state") do |dir|
      @dir = dir
      example.run
    end
  end

  let(:path) { File.join(@dir, "state.json") }
  let(:env) { {"OS_PASSWORD" => "secret", "OS_AUTH_URL" => service.keystone_url, "OS_USERNAME" => "admin"} }

  def cli(*args)
    out = StringIO.new
    err = StringIO.new
    status = OpenstackHTTPEventMonitor::CLI.new(args, env, :stdout => out, :stderr => err, :stdin => StringIO.new).run
    [status, out.string.lines.map { |l| JSON.parse(l)["message_id"] }, err.string]
  end

  # Every event 10 ms apart: all of them inside the 5 s back-read window,
  # so a restart reads them all again and only the state's remembered
  # message_ids keep them from being delivered twice.
  def backlog(prefix, count, start: "2026-01-01T00:00:00")
    service.generate(:count => count, :start => start, :step_ms => 10, :prefix => prefix)
    names(prefix, count)
  end

  it "tail --state stopped after N events and restarted prints exactly the rest, then what came since" do
    all = backlog("s", 23)
    status, first, err = cli("tail", "--once", "--state", path, "--max-events", "7", "--page-size", "5")
    expect(status).to eq(0), err
    expect(first).to eq(all.first(7))
    expect(File.stat(path).mode & 0o777).to eq(0o600)

    later = backlog("n", 4, :start => "2026-01-01T00:00:01")
    status, second, err = cli("tail", "--once", "--state", path, "--page-size", "5")
    expect(status).to eq(0), err
    expect(second).to eq(all.drop(7) + later)
    # a third run: nothing left, and nothing repeated
    status, third, err = cli("tail", "--once", "--state", path)
    expect([status, third]).to eq([0, []]), err
    expect(err).to match(/resuming from #{Regexp.escape(path)}/)
  end

  it "a misbehaving service after the restart (truncated page, 500, an HTML body, the marker ignored): " \
     "exactly the rest of the backlog, none twice" do
    all = backlog("m", 23)
    status, first, err = cli("tail", "--once", "--state", path, "--max-events", "7", "--page-size", "5")
    expect([status, first]).to eq([0, all.first(7)]), err

    service.configure(:ignore_marker => true)
    service.faults({"path" => "events", "count" => 1, "truncate" => true},
                   {"path" => "events", "count" => 1, "status" => 500},
                   {"path" => "events", "count" => 1, "body" => "<html>proxy error</html>"})
    status, second, err = cli("tail", "--once", "--state", path, "--page-size", "5", "--retries", "5")
    expect(status).to eq(0), err
    expect(second).to eq(all.drop(7))
    expect(err).to include("500")
    status, third, err = cli("tail", "--once", "--state", path, "--page-size", "5")
    expect([status, third]).to eq([0, []]), err
  end

  it "a state file present wins over --since" do
    all = backlog("w", 6)
    expect(cli("tail", "--once", "--state", path, "--max-events", "2")[1]).to eq(all.first(2))
    # --since far later would skip everything: the state says where to go on
    status, rest, err = cli("tail", "--once", "--state", path, "--since", "2027-01-01")
    expect([status, rest]).to eq([0, all.drop(2)]), err
  end

  it "holds no password or token, and says what stream it is" do
    backlog("p", 3)
    expect(cli("tail", "--once", "--state", path)[0]).to eq(0)
    text = File.read(path)
    expect(text).not_to include("secret")
    service.tokens.each { |token| expect(text).not_to include(token) }
    state = JSON.parse(text)
    expect(state).to include("format" => "openstack_http_event_monitor state", "version" => 2)
    expect(state["stream"]).to include("url=(catalog of #{service.keystone_url}")
    expect(state["delivered"].size).to eq(3)
  end

  it "a corrupt or truncated state file: exit 2 naming the file, and the file is left alone" do
    backlog("c", 3)
    expect(cli("tail", "--once", "--state", path)[0]).to eq(0)
    whole = File.read(path)
    [whole[0, whole.size / 2], "", "not json\n", whole.sub('"version":2', '"version":99')].each do |text|
      File.write(path, text)
      status, printed, err = cli("tail", "--once", "--state", path)
      expect([status, printed]).to eq([2, []])
      expect(err).to include("invalid option http.state: #{path}: ")
      expect(File.read(path)).to eq(text)
    end
    expect(cli("tail", "--once", "--state", path, "--since", "now")[2]).to include("version 99")
    # version 1's digests were of another function: refused, saying what to do
    File.write(path, whole.sub('"version":2', '"version":1'))
    status, printed, err = cli("tail", "--once", "--state", path)
    expect([status, printed]).to eq([2, []])
    expect(err).to include("invalid option http.state: #{path}: written by an earlier version of the gem")
    expect(err).to include("remove the file to start afresh")
  end

  it "the state of another stream is refused, naming the option and the file" do
    backlog("o", 3)
    expect(cli("tail", "--once", "--state", path)[0]).to eq(0)
    status, printed, err = cli("tail", "--once", "--state", path, "--type-regex", "^compute")
    expect([status, printed]).to eq([2, []])
    expect(err).to include("invalid option http.state: #{path} holds the state of another stream")
    expect(err).to include("event_types_regex=^compute")
  end

  it "record --state: a tail with the same state goes on after what record drained" do
    backlog("rec", 5)
    status, _, err = cli("record", "--cassette", File.join(@dir, "c.yml"), "--state", path)
    expect(status).to eq(0), err
    later = backlog("after", 2, :start => "2026-01-01T00:00:01")
    status, printed, err = cli("tail", "--once", "--state", path)
    expect([status, printed]).to eq([0, later]), err
  end

  it "--state is for tail and record" do
    status, _, err = cli("check", "--state", path)
    expect(status).to eq(2)
    expect(err).to include("--state is for tail and record")
  end

  describe "the Ruby API" do
    it ":state resumes where the events whose block returned end, event by event" do
      all = backlog("r", 17)
      got = []
      mon = monitor(:state => path, :page_size => 5)
      mon.start
      mon.each do |event|
        # mid-batch: the 8th is the 3rd of the second page; the 9th's block
        # does not return, so it is not delivered
        break if got.size == 8

        got << event.payload["message_id"]
      end
      expect(got).to eq(all.first(8))

      # a Pathname works as well as a String
      again = drain(monitor(:state => Pathname.new(path), :page_size => 5)).map { |e| e.payload["message_id"] }
      expect(again).to eq(all.drop(8))
    end

    it "a batch whose block raises is not recorded: the restart delivers it" do
      all = backlog("x", 9)
      mon = monitor(:state => path, :page_size => 3)
      mon.start
      seen = []
      expect do
        mon.each_batch do |batch|
          ids = batch.map { |e| e.payload["message_id"] }
          raise "failed on #{ids.first}" if seen.size == 3

          seen.concat(ids)
        end
      end.to raise_error(RuntimeError, "failed on x-0000004")
      expect(JSON.parse(mon.state)["delivered"].size).to eq(3)

      again = drain(monitor(:state => path, :page_size => 3)).map { |e| e.payload["message_id"] }
      expect(seen + again).to eq(all)
    end

    it "#state is the file's text after each batch; without :state it is the same snapshot, for the caller to keep" do
      backlog("t", 4)
      mon = monitor(:state => path)
      drain(mon)
      expect(mon.state).to eq(File.read(path))
      plain = monitor
      expect(JSON.parse(plain.state)).to include("newest_seen" => nil, "delivered" => [])
      drain(plain)
      expect(JSON.parse(plain.state)["delivered"].size).to eq(4)
      # kept by the caller, given back as a file: resumes
      File.write(path, plain.state)
      backlog("u", 2, :start => "2026-01-01T00:00:02")
      expect(drain(monitor(:state => path)).map { |e| e.payload["message_id"] }).to eq(names("u", 2))
    end

    it "a corrupt state file or one of another stream is a ConfigurationError naming http.state and the file" do
      File.write(path, "{\"format\": \"openstack_http_event_monitor state\", \"version\": 2")
      expect { monitor(:state => path) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.state: #{Regexp.escape(path)}: not a readable/)
      File.delete(path)
      backlog("k", 2)
      drain(monitor(:state => path))
      expect { monitor(:state => path, :all_tenants => false) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.state: #{Regexp.escape(path)} holds the state of another stream/)
    end

    it "keeps the service's own cursor (a change-feed token) and resumes from it" do
      expected = crowded_backlog
      feed = {:type => :json, :fields => json_fields, :records => "/records", :params => {:limit => "{limit}"},
              :cursor => {:type => :token, :pointer => "/cursor", :param => "cursor"}}
      http = {:url => "#{service.url}/json/feed", :poll_interval => 0.1, :page_size => 100, :source => feed, :state => path}
      got = []
      mon = OpenstackHTTPEventMonitor.new(:http => http)
      mon.start
      mon.each do |event|
        break if got.size == 120 # the 21st of the second page: not delivered

        got << event.payload["message_id"]
      end
      token = "feed-100".unpack1("H*")
      expect(JSON.parse(File.read(path))).to include("service_cursor" => token)

      service.clear_requests
      again = drain(OpenstackHTTPEventMonitor.new(:http => http)).map { |e| e.payload["message_id"] }
      expect(got + again).to eq(expected)
      cursors = json_requests.map { |r| r["params"].find { |k, _| k == "cursor" }&.last }
      expect(cursors.first).to eq(token)
    end

    it "is refused with a push receiver, which keeps its place in its spool" do
      expect do
        OpenstackHTTPEventMonitor.new(:http => {:source => {:type => :push, :allow_anonymous => true}, :state => path})
      end.to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.state: is for the sources that are polled/)
    end

    it "a process killed inside a block: the restart delivers again what was not acknowledged, nothing before",
       :timeout => 60 do
      all = backlog("d", 8)
      script = <<~RUBY
        require "openstack_http_event_monitor"
        http = JSON.parse(ARGV[0], :symbolize_names => true)
        mon = OpenstackHTTPEventMonitor.new(:http => http)
        mon.start
        n = 0
        mon.each do |event|
          n += 1
          $stdout.puts(event.payload["message_id"])
          $stdout.flush
          Process.kill(:KILL, Process.pid) if n == 4 # in the block of the 4th: never acknowledged
        end
      RUBY
      http = keystone_options(:state => path, :page_size => 2)
      lib = File.expand_path("../lib", __dir__)
      out, _err, status = Open3.capture3(RbConfig.ruby, "-I", lib, "-rjson", "-e", script, JSON.generate(http))
      expect(status.signaled? && status.termsig == 9).to be(true)
      expect(out.lines.map(&:chomp)).to eq(all.first(4))
      # the first page (2 events) was acknowledged and written; of the second
      # the 3rd was acknowledged but the process died before writing it: the
      # restart delivers it again (at least once), and the 4th
      again = drain(monitor(:state => path, :page_size => 2)).map { |e| e.payload["message_id"] }
      expect(again).to eq(all.drop(2))
    end
  end
end
