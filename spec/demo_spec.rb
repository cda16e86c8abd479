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
    expect(out).to include("--push", "--seconds")
  end

  it "bin/demo answers --help and refuses bad arguments before installing or building anything" do
    out, err, status = Open3.capture3(File.join(root, "bin/demo"), "--help")
    expect([status.exitstatus, err]).to eq([0, ""])
    expect(out).to include("Usage: bin/demo", "--push", "--seconds N")
    _, err, status = Open3.capture3(File.join(root, "bin/demo"), "--seconds", "abc")
    expect([status.exitstatus, err]).to eq([2, "bin/demo: --seconds needs a whole number of seconds, got 'abc'\n"])
    _, err, status = Open3.capture3(File.join(root, "bin/demo"), "--frobnicate")
    expect(status.exitstatus).to eq(2)
    expect(err).to start_with("bin/demo: unknown argument '--frobnicate'")
    _, err, status = run_demo(root, "--seconds", "abc")
    expect([status.exitstatus, err]).to eq([2, "bin/demo: invalid argument: --seconds abc\n"])
  end

  it "--push: the look-alike posts its stream, the monitor receives it and prints events; exits 0 after --seconds", :timeout => 60 do
    out, err, status = run_demo(root, "--push", "--seconds", "3")
    expect(status.exitstatus).to eq(0), "exit #{status.exitstatus}: #{err}"
    events = out.lines.map { |line| JSON.parse(line) }
    expect(events).not_to be_empty
    expect(events).to all(include("message_id", "event_type", "timestamp", "payload"))
    expect(err).to include("event_pipeline.yaml", "/events?batch=False&timeout=5")
    expect(err).to match(/look-alike publisher: posts=\d+ accepted=[1-9]\d* dropped=0/)
  end
end
