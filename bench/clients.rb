# frozen_string_literal: true

# The two clients the benchmarks compare, each draining the look-alike's
# backlog and returning how many events it saw: the monitor, and what a Ruby
# client does without the gem (the same keyset paging, the same Hashes and
# OpenstackEvent objects).

require "json"
require "net/http"
require "openstack_http_event_monitor"

module BenchClients
  module_function

  def monitor_drain(service, page_size)
    monitor = OpenstackHTTPEventMonitor.new(:http => {
      :auth => {:type => :keystone, :url => service.keystone_url, :username => "admin", :password => "secret"},
      :page_size => page_size, :poll_interval => 0
    })
    seen = 0
    monitor.start
    monitor.each_batch do |events|
      seen += events.size
      monitor.stop if monitor.caught_up?
    end
    seen
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
