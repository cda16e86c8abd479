# frozen_string_literal: true

require "spec_helper"
require "open3"
require "rbconfig"
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
    expect([status, out]).to eq([0, "available: event service from the Keystone catalog\n"])

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
