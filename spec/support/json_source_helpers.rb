# frozen_string_literal: true

# Helpers for the specs of the generic JSON source (:source => {:type =>
# :json, ...}) against the look-alike's /json/ dialects, whose records name
# their fields `id`, `type`, `time` and `data`. They log to the spec's `io`.
module JsonSourceHelpers
  # The look-alike's generic record, mapped.
  def json_fields
    {:message_id => "/id", :event_type => "/type", :timestamp => "/time", :payload => "/data"}
  end

  # A monitor of the look-alike's `path` with the generic source `source`
  # (`:type` and `:fields` filled in unless given).
  def json_monitor(path, source, **http)
    OpenstackHTTPEventMonitor.new(
      :logger => Logger.new(io),
      :http   => {:url => "#{service.url}#{path}", :poll_interval => 0.1, :page_size => 100,
                  :source => {:type => :json, :fields => json_fields}.merge(source)}.merge(http)
    )
  end

  # The requests the look-alike took under /json/.
  def json_requests
    service.requests.select { |r| r["path"].start_with?("/json/") }
  end

  # Every value of query parameter `name` sent, in order.
  def json_params(name)
    json_requests.flat_map { |r| r["params"].select { |k, _| k == name }.map(&:last) }
  end

  # Drains `mon`: exactly the `expected` ids, each once, no error; with
  # `again`, a second drain delivers nothing.
  def expect_exactly_once(mon, expected, again: true)
    got = ids(drain(mon))
    expect(got.size).to eq(expected.size)
    expect(got.sort).to eq(expected.sort)
    expect(ids(drain(mon))).to eq([]) if again
    expect(mon.stats[:errors]).to eq(0)
    got
  end

  # The ConfigurationError message `new` raises for the generic source
  # `source` at `path` (records at `records`), before any request.
  def json_config_error(path, records, source)
    OpenstackHTTPEventMonitor.new(:http => {:url => "#{service.url}#{path}",
                                            :source => {:type => :json, :records => records, :fields => json_fields}.merge(source)})
    raise "no ConfigurationError for #{source.inspect}"
  rescue OpenstackHTTPEventMonitor::ConfigurationError => e
    e.message
  end
end
