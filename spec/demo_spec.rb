# frozen_string_literal: true

require "open3"
require "spec_helper"

# bin/demo's script, run as bin/demo runs it (the look-alike must be built:
# `bundle exec rake compile`).
RSpec.describe "bench/demo.rb" do
  root = File.expand_path("..", __dir__)

  def run_demo(root, *args)
    env = {"BUNDLE_SILENCE_ROOT_WARNING" => "1"}
    Open3.capture3(env, "bundle", "exec", "ruby", "bench/demo.rb", *args, :chdir => root)
  end

  it "lists --push in its help" do
    out, _err, status = run_demo(root, "--help")
    expect(status.exitstatus).to eq(0)
    expect(out).to include("--push", "--json", "--seconds")
  end

  it "bin/demo answers --help and refuses bad arguments before installing or building anything" do
    out, err, status = Open3.capture3(File.join(root, "bin/demo"), "--help")
    expect([status.exitstatus, err]).to eq([0, ""])
    expect(out).to include("Usage: bin/demo", "--push", "--json", "--seconds N")
    _, err, status = Open3.capture3(File.join(root, "bin/demo"), "--seconds", "abc")
    expect([status.exitstatus, err]).to eq([2, "bin/demo: --seconds needs a whole number of seconds, got 'abc'\n"])
    _, err, status = Open3.capture3(File.join(root, "bin/demo"), "--frobnicate")
    expect(status.exitstatus).to eq(2)
    expect(err).to start_with("bin/demo: unknown argument '--frobnicate'")
    _, err, status = run_demo(root, "--seconds", "abc")
    expect([status.exitstatus, err]).to eq([2, "bin/demo: invalid argument: --seconds abc\n"])
  end

  it "--push: the look-alike posts its stream, the monitor receives it and prints events; exits 0 after --seconds", :timeout => 60 do
    out, err, status = run_demo(root, "--push", "--json", "--seconds", "3")
    expect(status.exitstatus).to eq(0), "exit #{status.exitstatus}: #{err}"
    events = out.lines.map { |line| JSON.parse(line) }
    expect(events).not_to be_empty
    expect(events).to all(include("message_id", "event_type", "timestamp", "payload"))
    expect(err).to include("event_pipeline.yaml", "/events?batch=False&timeout=5")
    expect(err).to match(/look-alike publisher: posts=\d+ accepted=[1-9]\d* dropped=0/)
    expect(err).not_to include("status: ")
  end

  # One event line of the CLI's -f table (no colour: stdout is a pipe).
  table_row = /\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6} +[a-z_.]+ +\h{32} +[0-9a-f-]{36}\n\z/
  status_line = %r{^status: \d+\.\d events/s polls=\d+ retries=\d+ filtered=\d+ duplicates_dropped=\d+ printed=\d+$}

  it "by default prints a table (time, type, project, resource), status lines and a pasteable command", :timeout => 90 do
    out, err, status = run_demo(root, "--seconds", "9")
    expect(status.exitstatus).to eq(0), "exit #{status.exitstatus}: #{err}"
    header, *rows = out.lines
    expect(header.split).to eq(%w[TIMESTAMP EVENT_TYPE PROJECT RESOURCE])
    expect(rows).not_to be_empty
    expect(rows).to all(match(table_row))
    expect(rows.map { |r| r.split[1] }).to include("compute.instance.create.end", "identity.authenticate")
    expect(rows.map { |r| r.split[1] }.grep(/\A(volume|port)\./)).to eq([]) # ManageIQ's default filter
    expect(out).not_to include("\e[")
    expect(err).to match(status_line)
    expect(err.scan("so events committed late are not missed, and drops the ones it already delivered").size).to eq(1)
    # the banner's command, as a shell reads it, is the one the demo ran
    command = err.lines.find { |l| l.start_with?("  OS_PASSWORD=secret bundle exec openstack-http-events tail ") }
    expect(command).not_to be_nil, err
    words, = Open3.capture2("bash", "-c", command.strip.sub("bundle exec openstack-http-events", %q(printf '%s\n')))
    words = words.lines.map(&:chomp)
    keystone = err[%r{Keystone at (http://127\.0\.0\.1:\d+/identity)}, 1]
    expect(words).to eq(["tail", "--auth-url", keystone, "--username", "admin", "--project", "admin",
                         "--poll-interval", "2", "--type-regex",
                         '\A(?!firewall|floatingip|gateway|net|port|router|subnet|security_group|vpn|volume|snapshot|backup)',
                         "-f", "table", "--progress", "3"])
  end

  it "--json prints the raw JSON lines, without status lines", :timeout => 60 do
    out, err, status = run_demo(root, "--json", "--seconds", "4")
    expect(status.exitstatus).to eq(0), "exit #{status.exitstatus}: #{err}"
    events = out.lines.map { |line| JSON.parse(line) }
    expect(events).not_to be_empty
    expect(events).to all(include("message_id", "event_type", "timestamp", "payload"))
    expect(err).not_to match(status_line)
    expect(err).to include("OS_PASSWORD=secret bundle exec openstack-http-events tail ", " --poll-interval 2 ")
  end

  it "--push prints the same table lines and status lines", :timeout => 60 do
    out, err, status = run_demo(root, "--push", "--seconds", "7")
    expect(status.exitstatus).to eq(0), "exit #{status.exitstatus}: #{err}"
    header, *rows = out.lines
    expect(header.split).to eq(%w[TIMESTAMP EVENT_TYPE PROJECT RESOURCE])
    expect(rows).not_to be_empty
    expect(rows).to all(match(table_row))
    expect(err).to match(status_line)
    expect(err).to match(/look-alike publisher: posts=\d+ accepted=[1-9]\d* dropped=0/)
  end
end
