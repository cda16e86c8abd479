# frozen_string_literal: true

require "spec_helper"
require "open3"

# The look-alike run by hand, as an operator trying the monitor would.
RSpec.describe "panko-lookalike by hand" do
  binary = Lookalike::BINARY

  it "--help lists its credentials, auth modes, fault switches and control endpoints" do
    out, err, status = Open3.capture3(binary, "--help")
    expect([status.exitstatus, err]).to eq([0, ""])
    expect(out).to include("user `admin`, password `secret`", "lookalike-basic-password", "X-Auth-Token",
                           "POST /_control/faults", "delay_ms", "GET  /_control/requests", "--follow-stdin")
    _, err, status = Open3.capture3(binary, "--frobnicate")
    expect(status.exitstatus).to eq(2)
    expect(err).to start_with("usage: panko-lookalike")
  end

  it "runs on in the background when its stdin closes, unless told to follow it", :timeout => 60 do
    [[[], true], [["--follow-stdin"], false]].each do |args, alive|
      stdin, stdout, wait = Open3.popen2(binary, "--port", "0", "--lifetime", "30", *args)
      begin
        expect(stdout.gets).to start_with("LISTENING http://127.0.0.1:")
        stdin.close # as `panko-lookalike &` from a shell that has no terminal to give it
        ended = wait.join(2)
        expect(ended.nil?).to be(alive), "with #{args.inspect}: #{alive ? "ended" : "kept running"}"
      ensure
        Process.kill("TERM", wait.pid) if wait.alive?
        wait.join(10)
      end
    end
  end
end
