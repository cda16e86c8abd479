# frozen_string_literal: true

require "spec_helper"
require "timeout"

# The delivery contract: an event is delivered when the block it was yielded
# to returns. Whatever was fetched but not delivered comes first at the next
# each_batch/each on the same monitor.
RSpec.describe "Delivery acknowledged by the block" do
  with_lookalike

  # Drops consecutive repeats: what a block saw again after it broke out.
  def squeeze(list)
    list.chunk_while { |a, b| a == b }.map(&:first)
  end

  it "loses nothing when Timeout interrupts each_batch while 20,000 events drain", :timeout => 180 do
    service.generate(:count => 20_000, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "to")
    mon = monitor(:page_size => 200, :poll_interval => 0.1)
    mon.start
    seen = []
    timeouts = 0
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 150
    until mon.stats[:events] >= 20_000 || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      begin
        # short enough to land in the fetch, the conversion and the block
        Timeout.timeout(0.001 + rand * 0.012) do
          mon.each_batch do |batch|
            seen.concat(ids(batch))
            sleep 0.002 # a block that takes time, as ManageIQ's does
          end
        end
      rescue Timeout::Error
        timeouts += 1
      end
    end
    mon.stop
    warn format("      %d timeouts while draining; %d events seen, %d of them again", timeouts, seen.size,
                seen.size - seen.uniq.size)
    expect(timeouts).to be > 5
    expect(seen.uniq.sort).to eq(names("to", 20_000))
    # only blocks that returned count, each batch once
    expect(mon.stats[:events]).to eq(20_000)
    expect(mon.undelivered).to eq(0)
  end

  it "gives each event again after a break out of each, and loses none" do
    service.generate(:count => 250, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "br")
    mon = monitor(:page_size => 100)
    mon.start
    seen = []
    20.times do
      taken = 0
      mon.each do |event|
        seen << event.payload["message_id"]
        taken += 1
        mon.stop if mon.caught_up?
        break if taken == 30
      end
      break if seen.uniq.size == 250

      mon.start
    end
    # the event the block broke out of did not count as delivered: it comes
    # again, first; nothing is skipped
    expect(squeeze(seen)).to eq(names("br", 250))
    expect(seen.size - 250).to be_between(8, 9)
    expect(mon.stats[:events]).to eq(250)
  end

  it "gives the rest of a batch again, first, after an exception in the block" do
    service.generate(:count => 30, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "ex")
    mon = monitor(:page_size => 20)
    mon.start
    seen = []
    expect do
      mon.each { |event| seen << event.payload["message_id"]; raise "boom" if seen.size == 5 }
    end.to raise_error(RuntimeError, "boom")
    expect(mon.undelivered).to eq(16)
    expect(mon.stats[:events]).to eq(4)

    batches = []
    begin
      mon.each_batch do |batch|
        batches << ids(batch)
        raise "again"
      end
    rescue RuntimeError
      nil
    end
    # at least once for a block that raised: the same batch
    expect(batches).to eq([names("ex", 20).drop(4)])

    rest = ids(drain(mon))
    expect(rest).to eq(names("ex", 30).drop(4))
    expect(mon.stats[:events]).to eq(30)
  end

  it "counts delivered events, not fetched ones" do
    service.generate(:count => 10, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "ct")
    mon = monitor
    mon.start
    in_block = nil
    mon.each_batch do |batch|
      in_block = [batch.size, mon.stats[:events], mon.stats[:undelivered]]
      mon.stop
    end
    expect(in_block).to eq([10, 0, 10])
    expect(mon.stats).to include(:events => 10, :undelivered => 0)
  end

  it "keeps the request in flight through signals whose handler returns" do
    service.generate(:count => 50, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "sig")
    service.faults({"path" => "events", "count" => 3, "delay_ms" => 1_500})
    mon = monitor(:page_size => 100)
    handled = 0
    previous = trap("USR2") { handled += 1 }
    pinger = Thread.new do
      loop do
        sleep 0.2
        Process.kill("USR2", Process.pid)
      end
    end
    begin
      events = Timeout.timeout(30) { drain(mon) } # on the main thread, where signals land
    ensure
      pinger.kill
      pinger.join
      trap("USR2", previous || "DEFAULT")
    end
    expect(ids(events)).to eq(names("sig", 50))
    expect(handled).to be >= 5
    # no request was abandoned and sent again: one page, then the empty check
    expect(event_requests.size).to be <= 3
  end

  it "raises BusyError, an OpenstackHTTPEventMonitor::Error, for a second concurrent each_batch" do
    service.faults({"path" => "events", "count" => 10, "delay_ms" => 30_000})
    mon = monitor
    mon.start
    thread = Thread.new { mon.each_batch { nil } }
    Timeout.timeout(10) { sleep 0.01 until mon.stats[:requests] >= 2 }
    expect { mon.each { nil } }.to raise_error(OpenstackHTTPEventMonitor::BusyError, /already polling/) do |e|
      expect(e).to be_a(OpenstackHTTPEventMonitor::Error)
    end
    mon.stop
    expect(thread.join(5)).to eq(thread)
  end

  it "polls in a child forked while another thread of the parent was polling" do
    service.add_events([panko_event("before", "2026-01-01T00:00:00.000000")])
    mon = monitor
    expect(ids(drain(mon))).to eq(%w[before])
    service.add_events([panko_event("after", "2026-01-01T00:00:01.000000")])
    service.faults({"path" => "events", "count" => 1, "delay_ms" => 30_000})
    mon.start
    thread = Thread.new { mon.each_batch { nil } }
    Timeout.timeout(10) { sleep 0.01 until service.requests.any? { |r| r["status"].zero? } }

    reader, writer = IO.pipe
    pid = fork do
      reader.close
      result = begin
        Timeout.timeout(20) { ids(drain(mon)) }
      rescue StandardError => e
        "#{e.class}: #{e.message}"
      end
      writer.write(JSON.generate(result))
      writer.close
      exit!(0)
    end
    writer.close
    result = JSON.parse(reader.read)
    Process.wait(pid)
    mon.stop
    thread.join(5)
    # the child starts at the parent's cursor, so the events stamped there
    # may come again in the child (at least once), and none is lost
    expect(result).to eq(%w[before after])
  end
end
