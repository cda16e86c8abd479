# frozen_string_literal: true

# The clients the benchmarks compare, each draining the look-alike's
# backlog and returning how many events it saw: the monitor (Panko, and the
# generic JSON source), and what a Ruby client does without the gem (the
# same keyset paging, the same Hashes and OpenstackEvent objects); and the
# floor, plain Ruby allocating the objects those events consist of and
# nothing else.

require "json"
require "net/http"
require "objspace"
require "openstack_http_event_monitor"

module BenchClients
  module_function

  # What the look-alike adds to its five standard traits (project_id,
  # tenant_id, user_id, instance_id, state) so that a benchmark event looks
  # like a real Nova instance notification in Panko: ten traits, about 880
  # bytes of JSON.
  REALISTIC_TRAITS = {
    "display_name"  => "web-frontend-01.prod.example.org", "host" => "compute-07.dc1.example.org",
    "instance_type" => "m1.medium", "image_ref_url" => "http://glance.example.org:9292/images/4f5c2c52-8b0e-4b55-9c1e-0b6f4d3a7a10",
    "launched_at"   => "2026-01-01T00:00:00.000000"
  }.freeze

  # Generates `count` realistic events in the look-alike `service`.
  def generate(service, count)
    service.generate(:count => count, :start => "2026-01-01T00:00:00", :step_ms => 1, :prefix => "bench",
                     :traits => REALISTIC_TRAITS)
  end

  def monitor_drain(service, page_size)
    monitor = OpenstackHTTPEventMonitor.new(:http => {
      :auth => {:type => :keystone, :url => service.keystone_url, :username => "admin", :password => "secret"},
      :page_size => page_size, :poll_interval => 0.1
    })
    drain(monitor)
  end

  # The fields of the look-alike's generic JSON records (`/json/` paths).
  JSON_FIELDS = {:message_id => "/id", :event_type => "/type", :timestamp => "/time", :payload => "/data"}.freeze

  # The monitor with the generic JSON source (README "Generic JSON source")
  # on the look-alike's `/json/events`: `{"events": [...], "links":
  # {"next": ...}}`, paged by the next link.
  def json_drain(service, page_size)
    monitor = OpenstackHTTPEventMonitor.new(:http => {
      :url => "#{service.url}/json/events", :auth => {:type => :none}, :page_size => page_size, :poll_interval => 0.1,
      :source => {:type => :json, :records => "/events", :fields => JSON_FIELDS,
                  :params => {:since => "{since}", :limit => "{limit}"},
                  :paging => {:type => :next, :pointer => "/links/next"}}
    })
    drain(monitor)
  end

  # Runs a started-here monitor until its backlog is drained.
  # @return [Integer] events delivered
  def drain(monitor)
    seen = 0
    monitor.start
    monitor.each_batch do |events|
      seen += events.size
      monitor.stop if monitor.caught_up?
    end
    seen
  end

  # The first page (`page_size` events) the monitor delivers from the
  # look-alike, as plain data for {floor} — `[message_id, event_type,
  # timestamp, [[trait name, value], ...]]` each — and the {shape} of its
  # first event.
  # @return [Hash] :source, :shape
  def sample(service, page_size)
    monitor = OpenstackHTTPEventMonitor.new(:http => {
      :auth => {:type => :keystone, :url => service.keystone_url, :username => "admin", :password => "secret"},
      :page_size => page_size, :poll_interval => 0.1
    })
    page = nil
    monitor.start
    monitor.each_batch do |events|
      next if events.empty?

      page = events
      monitor.stop
    end
    source = page.map do |e|
      p = e.payload
      [p["message_id"], p["event_type"], p["timestamp"], p["payload"].to_a]
    end
    {:source => source, :shape => shape(page.first)}
  end

  # What one event consists of: its class, the payload's keys and the
  # traits' names (whether frozen), each value's class, and for Strings
  # their length, encoding and memory (an own buffer or a shared one), and
  # the metadata.
  def shape(event)
    value = lambda do |v|
      v.is_a?(String) ? [String, v.bytesize, v.encoding.name, v.frozen?, ObjectSpace.memsize_of(v)] : [v.class]
    end
    keys = ->(h) { h.keys.map { |k| [k, k.frozen?] } }
    payload = event.payload
    traits = payload["payload"]
    [event.class.name, payload.class, keys.(payload), payload.except("payload").values.map(&value),
     traits.class, keys.(traits), traits.values.map(&value), event.metadata.class, event.metadata]
  end

  # {sample}'s source made ready for {floor}: every String frozen (trait
  # names interned, as the monitor's are), so that only the copies the floor
  # makes are new.
  def floor_source(source)
    source.map do |message_id, event_type, timestamp, traits|
      [message_id.freeze, event_type.freeze, timestamp.freeze, traits.map { |n, v| [-n, v.freeze].freeze }.freeze].freeze
    end.freeze
  end

  # One event as the floor makes it: the OpenstackEvent, its payload Hash
  # with fresh value Strings, the traits Hash (names are the interned ones,
  # values fresh), the metadata Hash. `"" + s` is a new String with its own
  # buffer of s's length (String.new(s) and dup share s's buffer when it is
  # not embedded, which would make the floor too cheap).
  def floor_event(message_id, event_type, timestamp, trait_list)
    traits = {}
    trait_list.each { |name, value| traits[name] = value.is_a?(String) ? "" + value : value }
    payload = {"message_id" => "" + message_id, "event_type" => "" + event_type,
               "timestamp" => "" + timestamp, "payload" => traits}
    ::OpenstackEvent.new(payload, {:user_id => nil, :priority => nil, :content_type => nil})
  end

  # The floor: `count` events made from `source` (cycled), kept a page of
  # `page_size` at a time as the monitor keeps a batch, in one Array reused.
  # @return [Integer] events made
  def floor(source, count, page_size)
    page = []
    made = 0
    i = 0
    while made < count
      page.clear
      take = count - made < page_size ? count - made : page_size
      take.times do
        message_id, event_type, timestamp, traits = source[i]
        page << floor_event(message_id, event_type, timestamp, traits)
        i += 1
        i = 0 if i == source.size
      end
      made += take
    end
    made
  end

  # What a Ruby client does without the gem: the same paging, the same Hashes.
  def ruby_drain(service, page_size)
    uri = URI(service.url)
    http = Net::HTTP.start(uri.host, uri.port)
    auth = Net::HTTP::Post.new("/identity/v3/auth/tokens", "Content-Type" => "application/json")
    auth.body = JSON.generate(:auth => {:identity => {:methods => ["password"], :password => {:user => {
      :name => "admin", :domain => {:id => "default"}, :password => "secret"
    }}}, :scope => {:project => {:name => "admin", :domain => {:id => "default"}}}})
    token = http.request(auth)["X-Subject-Token"]
    seen = 0
    marker = nil
    loop do
      path = "/v2/events?q.field=all_tenants&q.op=eq&q.value=True&limit=#{page_size}"
      path += "&marker=#{URI.encode_www_form_component(marker)}" if marker
      rows = JSON.parse(http.get(path, "X-Auth-Token" => token).body)
      events = rows.map do |row|
        traits = {}
        row["traits"].each { |t| traits[t["name"]] = t["value"] }
        payload = {"message_id" => row["message_id"], "event_type" => row["event_type"],
                   "timestamp" => row["generated"], "payload" => traits}
        OpenstackEvent.new(payload, {:user_id => nil, :priority => nil, :content_type => nil})
      end
      seen += events.size
      break if rows.size < page_size

      marker = rows.last["message_id"]
    end
    seen
  end
end
