# frozen_string_literal: true

require "spec_helper"

# Caps on what a service can make the monitor hold: http.max_response_bytes
# and http.max_header_bytes, against the look-alike's endless, padded and
# oversized answers.
RSpec.describe "Response size caps" do
  with_lookalike

  let(:io) { StringIO.new }

  def rss_bytes
    File.read("/proc/self/status")[/^VmRSS:\s+(\d+) kB/, 1].to_i * 1024
  end

  def verify(**http)
    OpenstackHTTPEventMonitor.verify!(:http => keystone_options(**http))
  end

  describe "http.max_response_bytes" do
    it "abandons an endless body at the cap, keeps polling and delivers later events, in little memory" do
      service.faults({"path" => "events", "count" => 3, "endless" => true})
      service.add_events([panko_event("after", "2026-01-01T00:00:00.000000")])
      mon = OpenstackHTTPEventMonitor.new(:logger => Logger.new(io), :http => keystone_options(:max_response_bytes => 1 << 20))
      GC.start
      before = rss_bytes
      events = drain(mon)
      growth = rss_bytes - before
      expect(ids(events)).to eq(%w[after])
      expect(mon.stats[:errors]).to eq(3)
      expect(mon.stats[:last_error]).to match(/exceeds http\.max_response_bytes \(1048576 bytes\)/)
      # three failures in a row: said at the first and the second (then at 4, 8, …)
      expect(io.string.scan(/WARN -- : .*http\.max_response_bytes.*retrying/).size).to eq(2)
      expect(growth).to be < 100 * 1024 * 1024
    end

    it "rejects a page above the cap by its Content-Length, and reads one below it" do
      service.generate(:count => 3, :start => "2026-01-01T00:00:00.000000", :prefix => "pad")
      service.faults({"path" => "events", "count" => 1, "pad_bytes" => 100_000})
      expect { verify(:max_response_bytes => 65_536) }
        .to raise_error(OpenstackHTTPEventMonitor::ProtocolError,
                        %r{/v2/events exceeds http\.max_response_bytes \(65536 bytes\): Content-Length is 100000 bytes})

      service.faults({"path" => "events", "count" => 1, "pad_bytes" => 60_000})
      mon = monitor(:max_response_bytes => 65_536)
      expect(ids(drain(mon))).to eq(%w[pad-0000001 pad-0000002 pad-0000003])
      expect(mon.stats[:errors]).to eq(0)
      padded = service.requests.select { |r| r["path"] == "/v2/events" }
      expect(padded.first["status"]).to eq(200)
    end

    it "applies to Keystone's answers too" do
      service.faults({"path" => "keystone", "count" => 1, "pad_bytes" => 100_000})
      expect { verify(:max_response_bytes => 65_536) }
        .to raise_error(OpenstackHTTPEventMonitor::ProtocolError, %r{/identity/v3/auth/\S+ exceeds http\.max_response_bytes})
    end
  end

  describe "http.max_header_bytes" do
    it "rejects a head above the cap with a message naming the option" do
      service.faults({"path" => "events", "count" => 1, "head_bytes" => 100_000})
      expect { verify }
        .to raise_error(OpenstackHTTPEventMonitor::ProtocolError,
                        /exceeds http\.max_header_bytes \(65536 bytes\): the head has 100\d{3} bytes/)

      service.faults({"path" => "events", "count" => 1, "head_bytes" => 100_000})
      expect(verify(:max_header_bytes => 200_000)).to be(true)
    end

    it "names the option, not a connection failure, when the head is too large for the HTTP parser" do
      service.faults({"path" => "events", "count" => 1, "head_bytes" => 1_000_000})
      expect { verify(:max_header_bytes => 2_000_000) }
        .to raise_error(OpenstackHTTPEventMonitor::ProtocolError) { |e|
          expect(e.message).to match(/http\.max_header_bytes/)
          expect(e.message).not_to match(/cannot connect/)
        }
    end
  end
end
