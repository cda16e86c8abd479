# frozen_string_literal: true

require "spec_helper"
require "open3"
require "rbconfig"

RSpec.describe "Never blocking Ruby" do
  with_lookalike

  # Starts each_batch in a thread against a request that hangs for 30 s and
  # waits until that request reached the service.
  def hanging_monitor
    service.faults({"path" => "events", "count" => 100, "delay_ms" => 30_000})
    mon = monitor
    mon.start
    thread = Thread.new { mon.each_batch { nil } }
    # the Keystone request, then the events request that hangs
    Timeout.timeout(10) { sleep 0.01 until mon.stats[:requests] >= 2 }
    sleep 0.2
    [mon, thread]
  end

  it "lets other Ruby threads run at full speed while a request hangs" do
    mon, thread = hanging_monitor
    _, count = counting_while { sleep 0.5 }
    mon.stop
    expect(thread.join(5)).to eq(thread)
    # With the GVL held the counting thread could not run at all.
    expect(count).to be > 100_000
  end

  it "ends each_batch on stop from another thread while a request hangs" do
    mon, thread = hanging_monitor
    stopped_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    mon.stop
    expect(thread.join(5)).to eq(thread) # the request would hang for 30 s
    returned_in = Process.clock_gettime(Process::CLOCK_MONOTONIC) - stopped_at
    warn format("      stop -> each_batch returned in %.1f ms", returned_in * 1000)
    expect(mon.running?).to be(false)
  end

  it "ends each_batch on Thread#kill while a request hangs" do
    _, thread = hanging_monitor
    thread.kill
    expect(thread.join(5)).to eq(thread)
    expect(thread.alive?).to be(false)
  end

  it "ends each_batch on Thread#raise, with the exception" do
    _, thread = hanging_monitor
    thread.report_on_exception = false
    thread.raise(RuntimeError, "wake up")
    expect { thread.join(5) }.to raise_error(RuntimeError, "wake up")
  end

  it "keeps polling under Thread.handle_interrupt(:never), and raises once the mask is lifted" do
    service.generate(:count => 5, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "m")
    mon = monitor(:poll_interval => 0.1)
    mon.start
    polls = Queue.new
    thread = Thread.new do
      Thread.handle_interrupt(RuntimeError => :never) { mon.each_batch { |batch| polls << batch.size } }
      :left_the_mask
    end
    thread.report_on_exception = false
    Timeout.timeout(10) { polls.pop }
    thread.raise(RuntimeError, "deferred")
    # the pending, masked exception neither ends nor wedges the loop: polls go on
    before = mon.stats[:polls]
    Timeout.timeout(10) { sleep 0.02 until mon.stats[:polls] >= before + 3 }
    expect(thread).to be_alive
    mon.stop
    # and it is raised when the mask is lifted, not swallowed
    expect { thread.join(5) }.to raise_error(RuntimeError, "deferred")
  end

  it "converts a 10,000-row page in slices, so a 1 ms heartbeat thread never waits 50 ms", :timeout => 120 do
    traits = (1..15).to_h { |i| ["extra_#{i}", "value #{i} " * 3] } # 20 traits with the 5 generated ones
    service.generate(:count => 10_000, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "big",
                     :traits => traits)
    # The longest gap seen by the heartbeat, in the best of three drains (a
    # noisy machine may pause any thread now and then). Gaps in which Ruby
    # ran its garbage collector are Ruby's own pauses, not a GVL held by the
    # extension: they are reported, not counted.
    results = Array.new(3) do
      mon = monitor(:page_size => 10_000)
      beats = []
      heartbeat = Thread.new do
        loop do
          beats << [Process.clock_gettime(Process::CLOCK_MONOTONIC), GC.count]
          sleep 0.001
        end
      end
      events = drain(mon)
      heartbeat.kill
      heartbeat.join
      expect(events.size).to eq(10_000)
      gaps = beats.each_cons(2).map { |(a, gc_a), (b, gc_b)| [b - a, gc_a == gc_b] }
      [gaps.select(&:last).map(&:first).max, gaps.map(&:first).max]
    end
    held, any = results.min_by(&:first)
    warn format("      longest heartbeat gap while draining a 10,000-row page: %.1f ms without GC, %.1f ms with (best of 3)",
                held * 1000, any * 1000)
    expect(held).to be < 0.05
  end

  it "can stop from inside the block" do
    service.add_events([panko_event("a", "2026-01-01T00:00:00.000000")])
    mon = monitor
    mon.start
    calls = 0
    mon.each_batch do
      calls += 1
      mon.stop
    end
    expect(calls).to eq(1)
  end

  it "ends on Ctrl-C (SIGINT) in a process whose main thread waits in each_batch", :timeout => 60 do
    service.faults({"path" => "events", "count" => 100, "delay_ms" => 30_000})
    script = <<~RUBY
      require "openstack_http_event_monitor"
      mon = OpenstackHTTPEventMonitor.new(http: {url: #{service.url.dump}, auth: {type: :none}})
      mon.start
      $stdout.puts "waiting"; $stdout.flush
      begin
        mon.each_batch { nil }
      rescue Interrupt
        $stdout.puts "interrupted"
      end
    RUBY
    lib = File.expand_path("../lib", __dir__)
    Open3.popen2(RbConfig.ruby, "-I", lib, "-e", script) do |_stdin, stdout, wait|
      expect(stdout.gets).to eq("waiting\n")
      sleep 0.5 # into the hanging request
      Process.kill("INT", wait.pid)
      expect(stdout.gets).to eq("interrupted\n")
      expect(wait.value.success?).to be(true)
    end
  end

  # Ruby 3.1 tells the waiting main thread of a signal itself only while it
  # is the process's only Ruby thread; otherwise the wait must look by itself.
  it "ends a quiet receiver's wait on a signal sent while other Ruby threads live: a trap's stop, TERM's default",
     :timeout => 60 do
    script = <<~RUBY
      require "openstack_http_event_monitor"
      require "socket"
      require "tmpdir"
      port = TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
      Dir.mktmpdir do |dir|
        mon = OpenstackHTTPEventMonitor.new(:http => {:source => {:type => :push, :listen => "127.0.0.1:\#{port}",
                                                                  :spool_dir => dir, :users => {"u" => "p"}}},
                                            :logger => Logger.new(nil))
        trap("INT") { mon.stop }
        mon.start
        # another thread sends the signal and ends; no event ever comes
        Thread.new { sleep 0.3; Process.kill("INT", Process.pid) }
        mon.each_batch { nil }
        $stdout.puts "stopped by the trap"; $stdout.flush
        mon.start
        Thread.new { sleep 0.3; Process.kill("TERM", Process.pid) }
        begin
          mon.each_batch { nil }
        rescue SignalException => e
          $stdout.puts "\#{e.message}"; $stdout.flush
        end
      end
    RUBY
    lib = File.expand_path("../lib", __dir__)
    out, err, status = Open3.capture3(RbConfig.ruby, "-I", lib, "-rlogger", "-e", script)
    expect([out, status.success?]).to eq(["stopped by the trap\nSIGTERM\n", true]), err
  end

  it "turns a Rust panic into a Ruby exception" do
    native = monitor.instance_variable_get(:@native)
    expect { native.__debug_panic }.to raise_error(OpenstackHTTPEventMonitor::InternalError, /panic/)
  end

  it "refuses a second concurrent each_batch on the same monitor" do
    mon, thread = hanging_monitor
    expect { mon.each_batch { nil } }.to raise_error(OpenstackHTTPEventMonitor::BusyError, /already polling/)
    mon.stop
    thread.join(5)
  end
end
