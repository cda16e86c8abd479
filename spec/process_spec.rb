# frozen_string_literal: true

require "spec_helper"
require "open3"
require "rbconfig"

RSpec.describe "Process life" do
  with_lookalike

  def runtime_threads
    Dir.glob("/proc/self/task/*/comm").count { |f| File.read(f).strip == "ohem-runtime" }
  rescue Errno::ENOENT
    0
  end

  it "keeps 100 idle monitors on one small shared runtime", :timeout => 120 do
    monitors = Array.new(100) { monitor(:poll_interval => 600) }
    threads = monitors.map do |mon|
      mon.start
      Thread.new { mon.each_batch { nil } }
    end
    Timeout.timeout(60) { sleep 0.05 until monitors.all? { |m| m.stats[:polls] >= 1 } }
    cpu_before = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
    sleep 1
    idle_cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - cpu_before
    count = runtime_threads
    warn format("      100 idle monitors: %d runtime threads, %d OS threads in all, %.3f CPU s in 1 s idle",
                count, Dir.glob("/proc/self/task/*").size, idle_cpu)
    # 2 workers + at most 4 blocking threads, whatever the number of monitors
    expect(count).to be_between(1, 6)
    monitors.each(&:stop)
    expect(threads.map { |t| t.join(10) }).to all(be_a(Thread))
  end

  it "works in a forked child (runtime rebuilt) without disturbing the parent" do
    service.add_events([panko_event("before-fork", "2026-01-01T00:00:00.000000")])
    parent = monitor
    expect(ids(drain(parent))).to eq(%w[before-fork])
    service.add_events([panko_event("after-fork", "2026-01-01T00:00:01.000000")])

    reader, writer = IO.pipe
    pid = fork do
      reader.close
      inherited = ids(drain(parent))     # the parent's monitor, used in the child
      fresh = ids(drain(monitor))        # a monitor made in the child
      writer.write(JSON.generate([inherited, fresh]))
      writer.close
      exit!(0)
    end
    writer.close
    inherited, fresh = JSON.parse(reader.read)
    Process.wait(pid)
    expect($?.success?).to be(true)
    expect(inherited).to eq(%w[after-fork])
    expect(fresh).to eq(%w[before-fork after-fork])
    # the parent goes on where it was
    expect(ids(drain(parent))).to eq(%w[after-fork])
  end

  it "takes stop before start, stop twice and each_batch after stop in its stride" do
    service.add_events([panko_event("a", "2026-01-01T00:00:00.000000")])
    mon = monitor
    mon.stop
    mon.each_batch { raise "must not yield before start" }
    expect(ids(drain(mon))).to eq(%w[a])
    mon.stop
    mon.stop
    yielded = false
    mon.each_batch { yielded = true }
    expect(yielded).to be(false)
    service.add_events([panko_event("b", "2026-01-01T00:00:01.000000")])
    expect(ids(drain(mon))).to eq(%w[b]) # resumed with its cursor and de-dup memory
  end

  it "builds events correctly under GC.stress", :timeout => 120 do
    traits = (1..6).to_h { |i| ["trait_#{i}", "value-#{i}" * i] }
    service.add_events((1..12).map { |i| panko_event("gc#{i}", format("2026-01-01T00:00:%02d.000000", i), :traits => traits) })
    script = <<~RUBY
      require "json"
      require "openstack_http_event_monitor"
      mon = OpenstackHTTPEventMonitor.new(http: {auth: {type: :keystone, url: ARGV[0], username: "admin", password: "secret"},
                                                 page_size: 5, poll_interval: 0.1})
      mon.start
      events = []
      GC.stress = true
      mon.each_batch { |batch| events.concat(batch); mon.stop if mon.caught_up? }
      GC.stress = false
      GC.start
      puts JSON.generate(events.map(&:payload))
    RUBY
    lib = File.expand_path("../lib", __dir__)
    out, err, status = Open3.capture3(RbConfig.ruby, "-I", lib, "-e", script, service.keystone_url)
    expect(status.success?).to be(true), err
    payloads = JSON.parse(out)
    expect(payloads.map { |p| p["message_id"] }).to eq((1..12).map { |i| "gc#{i}" })
    expect(payloads.map { |p| p["payload"].reject { |k, _| k == "project_id" } }).to all(eq(traits))
  end
end
