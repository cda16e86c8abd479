# frozen_string_literal: true

require "net/http"
require "socket"
require "tmpdir"

# Helpers for the push receiver's specs: a free port, events as
# Ceilometer's publisher sends them, and the publisher's POST.
module PushHelpers
  # A port nothing listens on now.
  def free_port
    TCPServer.open("127.0.0.1", 0) { |server| server.addr[1] }
  end

  # One event as Ceilometer's http publisher posts it.
  def ceilometer_event(id, generated: "2026-11-26T09:00:00.000001", traits: nil)
    {"message_id" => id, "event_type" => "compute.instance.create.end", "generated" => generated,
     "traits"     => traits || [["tenant_id", 1, "t-1"], ["memory_mb", 2, 512], ["vcpus", 2, "4"],
                                ["launched_at", 4, "2026-11-26T08:59:00"]],
     "raw"        => {}}
  end

  # POSTs `body` (JSON unless a String) to the receiver on `port`, with
  # HTTP Basic from `user` and `pass` as the publisher sends its URL's
  # userinfo. Returns the response.
  def push_post(port, body, user: nil, pass: nil, type: "application/json", query: "batch=True&timeout=5")
    uri = URI("http://127.0.0.1:#{port}/events?#{query}")
    request = Net::HTTP::Post.new(uri, "Content-Type" => type)
    request.basic_auth(user, pass) if user
    request.body = body.is_a?(String) ? body : JSON.generate(body)
    Net::HTTP.start(uri.host, uri.port, :open_timeout => 1, :read_timeout => 5) { |http| http.request(request) }
  end

  # A receiver on 127.0.0.1:@port (a free port, picked once per example)
  # spooling into @spool, taking HTTP Basic user "ceilometer" with the
  # example's `password`, logging into its `io`; `source` adds or
  # overrides options.
  def push_receiver(**source)
    OpenstackHTTPEventMonitor.new(
      :logger => Logger.new(io),
      :http   => {:source => {:type => :push, :listen => "127.0.0.1:#{@port ||= free_port}", :spool_dir => @spool,
                              :users => {"ceilometer" => password}}.merge(source)}
    )
  end

  # POSTs to the example's receiver; returns the status and the parsed
  # answer (the raw body when it is not JSON).
  def push_answer(body, user: "ceilometer", pass: password, **opts)
    response = push_post(@port, body, :user => user, :pass => pass, **opts)
    [response.code.to_i, (JSON.parse(response.body) rescue response.body)]
  end

  # Every event `mon` delivers until `count` have come, then stops it.
  def receive_events(mon, count)
    events = []
    mon.each_batch do |batch|
      events.concat(batch)
      mon.stop if events.size >= count
    end
    events
  end
end

# `@spool`: an empty directory for the example's receiver spool.
RSpec.shared_context "with a spool directory" do
  around do |example|
    Dir.mktmpdir("spool") do |dir|
      @spool = dir
      example.run
    end
  end
end
