# frozen_string_literal: true

# Helpers shared by the end-to-end specs: one look-alike service per example
# group, and ways to drive a monitor against it.
module MonitorHelpers
  MIQ_DEFAULT_REGEX = /\A(?!firewall|floatingip|gateway|net|port|router|subnet|security_group|vpn|volume|snapshot|backup)/.freeze

  def self.included(base)
    base.extend(ClassMethods)
  end

  module ClassMethods
    # Starts one look-alike for the group and resets it before each example.
    def with_lookalike(**opts)
      before(:all) { @service = Lookalike.start(**opts) }
      after(:all) { @service&.stop }
      before { service.reset }
    end
  end

  def service
    @service
  end

  # Replays a VCR cassette for the block; see Lookalike.with_cassette.
  def with_cassette(path, **opts, &block)
    Lookalike.with_cassette(path, **opts, &block)
  end

  def keystone_options(**extra)
    {
      :auth => {:type => :keystone, :url => service.keystone_url, :username => "admin", :password => "secret"},
      :poll_interval => 0.1
    }.merge(extra)
  end

  # A monitor on the look-alike with Keystone auth; `http` adds to or
  # overrides options[:http].
  def monitor(**http)
    OpenstackHTTPEventMonitor.new(:http => keystone_options(**http))
  end

  # Starts the monitor and collects every event until the service's backlog
  # is drained (or `until_count` events arrived); returns the events.
  def drain(mon, until_count: nil)
    events = []
    mon.start
    mon.each_batch do |batch|
      events.concat(batch)
      done = until_count ? events.size >= until_count : mon.caught_up?
      mon.stop if done
    end
    events
  end

  # The message_ids `service.generate(:prefix => prefix, :count => count)`
  # gives.
  def names(prefix, count)
    (1..count).map { |i| format("#{prefix}-%07d", i) }
  end

  # 150 events on one timestamp, then 100 on distinct ones; returns their ids.
  def crowded_backlog
    service.generate(:count => 150, :generated => "2026-01-01T00:00:01", :prefix => "same")
    service.generate(:count => 100, :start => "2026-01-01T00:00:02", :step_ms => 10, :prefix => "other")
    names("same", 150) + names("other", 100)
  end

  def ids(events)
    events.map { |e| e.payload["message_id"] }
  end

  def event_requests
    service.requests.select { |r| r["path"].end_with?("/v2/events") }
  end

  # A Panko event as the service stores it.
  def panko_event(id, generated, type: "compute.instance.create.end", project: nil, traits: {})
    list = traits.map { |name, value| {"name" => name.to_s, "type" => "string", "value" => value} }
    list << {"name" => "project_id", "type" => "string", "value" => project} if project
    {"message_id" => id, "event_type" => type, "generated" => generated, "traits" => list, "raw" => {}}
  end

  # Runs the block in a thread while the main thread counts; returns the
  # block's value and the count.
  def counting_while
    counter = 0
    stop = false
    counter_thread = Thread.new { counter += 1 until stop }
    result = yield
    stop = true
    counter_thread.join
    [result, counter]
  end
end
