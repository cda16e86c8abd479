# frozen_string_literal: true

require "spec_helper"
require "open3"
require "rbconfig"

# bench/compare.rb runs end to end on a small backlog: every client drains
# the whole backlog (the script aborts otherwise) and gets a table row. The
# figures themselves are not checked: tests never assert on timings.
RSpec.describe "bench/compare.rb --smoke", :timeout => 120 do
  root = File.expand_path("..", __dir__)

  before(:all) do
    @out, @err, @status = Open3.capture3(RbConfig.ruby, "-I", File.join(root, "lib"), File.join(root, "bench/compare.rb"),
                                         "--smoke", :chdir => root)
  end

  it "exits 0" do
    expect(@status.success?).to be(true), "exit #{@status.exitstatus}: #{@err}"
  end

  labels = ["floor, page 100", "floor, page 1000", "monitor, page 100", "monitor, page 1000",
            "Net::HTTP + JSON, page 100", "Net::HTTP + JSON, page 1000", "monitor, generic JSON, page 1000"]

  it "prints one row per client, each with all 2,000 events and a positive events/s" do
    # a row: the label, then six numbers (events, wall s, events/s, CPU µs/event, the Ruby thread's CPU
    # µs/event, peak RSS MiB)
    got = @out.lines.filter_map do |line|
      words = line.split
      numbers = words.last(6).map { |w| Float(w, :exception => false) }
      [words[0...-6].join(" "), numbers] if words.size > 6 && numbers.none?(&:nil?)
    end.to_h
    expect(got.keys).to eq(labels)
    got.each_value do |events, _wall, per_second, cpu, ruby_thread, _rss|
      expect(events).to eq(2000)
      expect(per_second).to be > 0
      expect(ruby_thread).to be <= cpu + 0.01 # one thread's share of the process's CPU, rounded
    end
  end

  it "prints both ratios for both page sizes, each saying whether its goal is met" do
    ratios = @out.lines.grep(/÷.*\(goal /)
    expect(ratios.size).to eq(4)
    expect(ratios).to all(match(/\((goal met|goal not met)\)\s*\z/))
    expect(ratios.grep(/monitor ÷ floor/).size).to eq(2)
  end

  it "prints client ÷ floor for both page sizes: the most client ÷ monitor can be for a monitor at the floor" do
    lines = @out.lines.grep(/client \(Net::HTTP \+ JSON\) ÷ floor/)
    expect(lines.map { |l| l[/page (\d+)/, 1] }).to eq(%w[100 1000])
    expect(lines.map { |l| Float(l.split("page ").last.split[1]) }).to all(be > 0)
  end
end
