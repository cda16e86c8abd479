# frozen_string_literal: true

require "spec_helper"

# The generic JSON source (:source => {:type => :json, ...}) against the
# look-alike's generic JSON API (lookalike/src/generic.rs): records named
# `id`, `type`, `time`, `data` instead of Panko's, served as
# {"events": [...], "links": {"next": ...}}, as NDJSON with `since` in Unix
# milliseconds, and as an array paged by `Link` headers.
RSpec.describe "Generic JSON source" do
  with_lookalike

  let(:io) { StringIO.new }

  def next_link_monitor(**http)
    json_monitor("/json/events",
                 {:records => "/events", :params => {:since => "{since}", :limit => "{limit}"},
                  :paging => {:type => :next, :pointer => "/links/next"}}, **http)
  end

  it "drains a next-link-in-body API exactly once, following the links, in ManageIQ's event shape" do
    expected = crowded_backlog
    mon = next_link_monitor
    expect_exactly_once(mon, expected)
    expect(json_params("after")).not_to be_empty
    expect(json_requests.map { |r| r["status"] }.uniq).to eq([200])
    expect(json_params("since").first).to match(/\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\z/) # the second drain's floor, as Panko writes it

    service.generate(:count => 1, :generated => "2026-01-01T00:00:05", :prefix => "late", :traits => {:flavor => "m1.tiny"})
    events = drain(mon)
    expect(ids(events)).to eq(["late-0000001"])
    payload = events.first.payload
    expect(payload["event_type"]).to eq("compute.instance.create.end")
    expect(payload["timestamp"]).to eq("2026-01-01T00:00:05.000000")
    expect(payload["payload"]).to include("flavor" => "m1.tiny", "state" => "active")
    expect(events.first.metadata).to eq(:user_id => nil, :priority => nil, :content_type => nil)
  end

  it "drains an NDJSON feed with since in Unix milliseconds exactly once (paging by timestamp, limit grown)" do
    expected = crowded_backlog
    mon = json_monitor("/json/ndjson", {:records => "ndjson", :since_format => "unix_ms",
                                        :params => {:since => "{since}", :limit => "{limit}"}})
    expect_exactly_once(mon, expected)
    expect(json_params("since")).to all(match(/\A\d{13}\z/))
    expect(json_params("limit")).to include("200") # 150 on one timestamp did not fit 100
  end

  it "drains a Link-header-paged API exactly once" do
    expected = crowded_backlog
    mon = json_monitor("/json/link", {:records => "", :params => {:since => "{since}", :limit => "{limit}"},
                                      :paging => {:type => :link_header}})
    expect_exactly_once(mon, expected)
    expect(json_params("page")).to include("2", "3")
  end

  {
    "marker (the last record's id as ?after=)"  => ["/json/events", {:records => "/events", :paging => {:type => :marker, :param => "after"}}, "after"],
    "page numbers"                              => ["/json/link", {:records => "", :paging => {:type => :page, :param => "page"}}, "page"],
    "offsets"                                   => ["/json/link", {:records => "", :paging => {:type => :offset, :param => "offset"}}, "offset"],
    "OpenStack's events_links list (next href)" => ["/json/os-events", {:records => "/events", :paging => {:type => :next, :pointer => "/events_links"}}, "marker"],
    "continue tokens"                           => ["/json/items", {:records => "/items", :paging => {:type => :token, :pointer => "/continue", :param => "continue"}}, "continue"]
  }.each do |name, (path, source, param)|
    it "drains with #{name} paging exactly once" do
      expected = crowded_backlog
      mon = json_monitor(path, source.merge(:params => {:since => "{since}", :limit => "{limit}"}))
      expect_exactly_once(mon, expected)
      expect(json_params(param).size).to be >= 2
      expect(json_requests.map { |r| r["status"] }.uniq).to eq([200])
    end
  end

  describe "with the service's own credentials" do
    it "drains a next-link-in-body API behind OAuth 2.0 client credentials exactly once, one token for the drain" do
      service.configure(:auth => "oauth2", :client_id => "miq-client", :client_secret => "oauth-secret-json1")
      expected = crowded_backlog
      mon = next_link_monitor(:auth => {:type => :oauth2, :token_url => service.oauth_token_url,
                                        :client_id => "miq-client", :client_secret => "oauth-secret-json1"})
      expect_exactly_once(mon, expected)
      expect(json_params("after").size).to be >= 2
      expect(service.oauth_tokens_issued).to eq(1)
      expect(io.string).not_to include("oauth-secret-json1")
      expect(service.tokens.select { |t| io.string.include?(t) }).to eq([])
    end

    it "drains a token-paged API behind a custom API-key header exactly once, and is refused without it" do
      service.configure(:auth => "header", :header_name => "X-Api-Key", :header_value => "api-key-items-77")
      expected = crowded_backlog
      source = {:records => "/items", :params => {:since => "{since}", :limit => "{limit}"},
                :paging => {:type => :token, :pointer => "/continue", :param => "continue"}}
      mon = json_monitor("/json/items", source, :auth => {:type => :header, :name => "X-Api-Key", :value => "api-key-items-77"})
      expect_exactly_once(mon, expected)
      expect(json_params("continue").size).to be >= 2
      expect(io.string).not_to include("api-key-items-77")

      anonymous = json_monitor("/json/items", source)
      anonymous.start
      expect { anonymous.each_batch { raise "nothing should be delivered" } }
        .to raise_error(OpenstackHTTPEventMonitor::AuthenticationError, %r{/json/items})
      expect(json_requests.last["status"]).to eq(401)
    end
  end

  it "gives a record without an id a stable hash id: the same across polls and monitors, de-duplicated" do
    service.generate(:count => 3, :start => "2026-01-01T00:00:01", :step_ms => 10, :prefix => "noid")
    service.generate(:count => 2, :start => "2026-01-01T00:00:02", :step_ms => 10, :prefix => "with")
    mon = next_link_monitor
    first = ids(drain(mon))
    expect(first.size).to eq(5)
    hashed = first - names("with", 2)
    expect(hashed).to all(match(/\A\h{64}\z/))
    expect(hashed.uniq.size).to eq(3)
    # the back-read window serves them again: nothing delivered twice
    expect(ids(drain(mon))).to eq([])
    expect(mon.stats[:duplicates_dropped]).to be >= 5
    # another monitor computes the same ids
    expect(ids(drain(next_link_monitor)).sort).to eq(first.sort)
  end

  it "skips a record missing a mapped field with its reason, counts it, and delivers the rest" do
    service.add_events([panko_event("typeless", "2026-01-01T00:00:01", :type => "")])
    service.generate(:count => 3, :start => "2026-01-01T00:00:02", :step_ms => 10, :prefix => "good")
    mon = next_link_monitor
    expect(ids(drain(mon))).to eq(names("good", 3))
    expect(mon.stats[:skipped]).to eq(1)
    expect(io.string).to match(/skipped 1 malformed event\(s\) of 4; first: typeless \(no event type at \/type\)/)
    expect(ids(drain(mon))).to eq([])
    expect(mon.stats[:skipped]).to eq(1) # re-read with the window, counted once
  end

  it "ends a drain whose next page repeats the last one, with a warning, instead of looping" do
    body = JSON.generate("events" => [{"id" => "r1", "type" => "t", "time" => "2026-01-01T00:00:00Z"}],
                         "links"  => {"next" => "/json/events?again=1"})
    2.times { service.raw_events(body) }
    mon = next_link_monitor(:page_size => 1)
    expect(ids(drain(mon))).to eq(["r1"])
    expect(io.string).to match(/served the same page again/)
    expect(json_requests.size).to be < 10
  end

  describe "configuration errors name the key, before any request" do
    def error_for(source)
      json_config_error("/json/events", "/events", source)
    end

    it "rejects bad pointers, unknown placeholders, unknown paging types and missing fields" do
      expect(error_for(:records => "events")).to match(/http\.source\.records: "events" is not a JSON Pointer/)
      expect(error_for(:paging => {:type => :next, :pointer => "links/next"}))
        .to match(/http\.source\.paging\.pointer: "links\/next" is not a JSON Pointer/)
      expect(error_for(:params => {:from => "{sinse}"})).to match(/http\.source\.params\.from: unknown placeholder \{sinse\}/)
      expect(error_for(:paging => {:type => :cursor})).to match(/http\.source\.paging\.type: unknown paging type "cursor"/)
      expect(error_for(:fields => {:event_type => "/type"})).to match(/http\.source\.fields\.timestamp: is required/)
      expect(error_for(:since_format => "rfc3339")).to match(/http\.source\.since_format: unknown format "rfc3339"/)
      expect(error_for(:since_format => "%Q")).to match(/http\.source\.since_format: .*not a strftime pattern/)
      expect(json_requests).to eq([])
    end
  end
end
