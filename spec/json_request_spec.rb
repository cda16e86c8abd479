# frozen_string_literal: true

require "spec_helper"
require "tmpdir"

# The request side of the generic JSON source: :method, :headers, :body
# (templates with {since}, {limit}, {page}, {offset}), a strftime
# :since_format, against the look-alike's POST /json/search (a JSON body
# {"filter": {"since"}, "size", "page"} and an X-Tenant header required)
# and its GET dialects.
RSpec.describe "Generic JSON source requests" do
  with_lookalike

  let(:io) { StringIO.new }
  let(:api_key) { "k3y-9f8e7d6c5b4a" }

  def search_source(tenant: "demo")
    {:type => :json, :fields => json_fields, :records => "/results", :method => "post",
     :headers => {"X-Tenant" => tenant, "X-Api-Key" => api_key},
     :body => {:filter => {:since => "{since}"}, :size => "{limit}", :page => "{page}"},
     :paging => {:type => :page}}
  end

  it "drains a POST search API exactly once, with the body's numbers, the left-out since and the headers" do
    expected = crowded_backlog
    mon = json_monitor("/json/search", search_source)
    got = ids(drain(mon))
    expect(got.size).to eq(expected.size)
    expect(got.sort).to eq(expected.sort)
    expect(ids(drain(mon))).to eq([]) # and nothing again
    expect(mon.stats[:errors]).to eq(0)

    requests = json_requests
    expect(requests.map { |r| [r["method"], r["path"], r["status"]] }.uniq).to eq([["POST", "/json/search", 200]])
    expect(requests.map { |r| r["headers"] }).to all(include("x-tenant", "x-api-key", "content-type"))
    bodies = requests.map { |r| JSON.parse(r["body"]) }
    expect(bodies.first).to eq("filter" => {}, "size" => 100, "page" => 1) # no since on the first poll
    expect(bodies.map { |b| b["page"] }).to all(be_an(Integer))
    expect(bodies.map { |b| b["page"] }).to include(2, 3)
    expect(bodies.map { |b| b["size"] }).to all(be_an(Integer))
    expect(bodies.last["filter"]["since"]).to match(/\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\z/) # the second drain's floor
    expect(io.string).to match(%r{POST #{Regexp.escape(service.url)}/json/search: })
    expect(io.string).not_to include(api_key)
  end

  it "keeps a secret-looking header's value out of logs, errors, stats, inspect and a cassette" do
    service.generate(:count => 3, :start => "2026-01-01T00:00:01", :step_ms => 10, :prefix => "s")
    # the service refuses the tenant and echoes the request's headers
    mon = json_monitor("/json/search", search_source(:tenant => "other"))
    error = begin
      mon.verify!
      nil
    rescue OpenstackHTTPEventMonitor::Error => e
      e
    end
    expect(error).not_to be_nil
    expect(error.message).to include("X-Tenant: demo is required")
    expect(error.message).to include("[REDACTED]")
    texts = {"logs" => io.string, "error" => error.message, "stats" => mon.stats.to_s, "inspect" => mon.inspect}
    expect(texts.select { |_, text| text.include?(api_key) }.keys).to eq([])

    Dir.mktmpdir("cassette") do |dir|
      path = File.join(dir, "search.yml")
      recording = json_monitor("/json/search", search_source, :record => path)
      expect(ids(drain(recording)).sort).to eq(names("s", 3))
      text = File.read(path)
      expect(text).to include("X-Api-Key")
      expect(text).not_to include(api_key)
      expect(text).to include("\"X-Tenant\":\n      - \"demo\"")
    end
  end

  it "writes since with a strftime pattern, in UTC, where the service reads it" do
    expected = crowded_backlog
    mon = json_monitor("/json/events", {:type => :json, :fields => json_fields, :records => "/events",
                                       :since_format => "%Y-%m-%d %H:%M:%S",
                                       :params => {:since => "{since}", :limit => "{limit}"},
                                       :paging => {:type => :marker, :param => "after"}})
    expect(ids(drain(mon)).sort).to eq(expected.sort)
    expect(ids(drain(mon))).to eq([])
    sinces = json_params("since")
    expect(sinces.size).to be >= 2
    expect(sinces).to all(match(/\A\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\z/))
  end

  it "sends {offset} from a header, without a paging param" do
    expected = crowded_backlog
    mon = json_monitor("/json/link", {:type => :json, :fields => json_fields, :records => "",
                                     :params => {:since => "{since}", :limit => "{limit}", :offset => "{offset}"},
                                     :headers => {"X-Offset" => "{offset}"}, :paging => {:type => :offset}})
    expect(ids(drain(mon)).sort).to eq(expected.sort)
    offsets = json_params("offset")
    expect(offsets).to include("0", "100", "200")
    expect(json_requests.map { |r| r["headers"] }).to all(include("x-offset"))
  end

  describe "configuration errors name the key, before any request" do
    def error_for(source)
      json_config_error("/json/search", "/results", source)
    end

    it "rejects a bad method, a body without POST, bad headers, misplaced or unknown placeholders and bad formats" do
      expect(error_for(:method => "PUT")).to match(/http\.source\.method: must be "GET" or "POST", got "PUT"/)
      expect(error_for(:body => {:size => "{limit}"})).to match(/http\.source\.body: is sent only with http\.source\.method "POST"/)
      expect(error_for(:method => :post, :body => 3)).to match(/http\.source\.body: must be a String .* or a Hash or an Array/)
      expect(error_for(:method => :post, :body => {:filter => {:since => "{sinse}"}}))
        .to match(/http\.source\.body\.filter\.since: unknown placeholder \{sinse\}.*known: \{since\}, \{limit\}, \{cursor\}, \{page\}, \{offset\}/)
      expect(error_for(:headers => {"Bad Header" => "x"})).to match(/http\.source\.headers\.Bad Header: is not a valid header name/)
      expect(error_for(:headers => {"X-Note" => "a\nb"})).to match(/http\.source\.headers\.X-Note: is not a valid header value/)
      secret = error_for(:headers => {"X-Auth-Key" => "hunter2hunter2{nope}"})
      expect(secret).to match(/http\.source\.headers\.X-Auth-Key: has an unknown or unclosed placeholder/)
      expect(secret).not_to include("hunter2")
      expect(error_for(:params => {:p => "{page}"})).to match(/http\.source\.params\.p: holds \{page\}, which needs http\.source\.paging \{:type => :page\}/)
      expect(error_for(:headers => {"X-Offset" => "{offset}"}, :paging => {:type => :page, :param => "p"}))
        .to match(/http\.source\.headers\.X-Offset: holds \{offset\}/)
      expect(error_for(:paging => {:type => :page})).to match(/http\.source\.paging\.param: is required unless a template holds \{page\}/)
      expect(error_for(:paging => {:type => :offset})).to match(/http\.source\.paging\.param: is required unless a template holds \{offset\}/)
      expect(error_for(:since_format => "%Y-%Q")).to match(/http\.source\.since_format: "%Y-%Q" is not a strftime pattern/)
      expect(error_for(:since_format => "rfc3339")).to match(/http\.source\.since_format: unknown format "rfc3339".*strftime pattern/)
      expect(json_requests).to eq([])
    end
  end
end
