# frozen_string_literal: true

require "spec_helper"

RSpec.describe OpenstackHTTPEventMonitor do
  describe "the plugin interface ManageIQ calls" do
    it "has a version and plugin priority 1" do
      expect(OpenstackHTTPEventMonitor::VERSION).to match(/\A\d+\.\d+\.\d+/)
      expect(described_class.plugin_priority).to eq(1)
    end

    it "answers start, stop, each_batch and each" do
      mon = described_class.new(:http => {:url => "http://127.0.0.1:9"})
      %i[start stop each_batch each stats].each { |m| expect(mon).to respond_to(m) }
    end

    it "gives events the metadata ManageIQ's converters give" do
      expect(described_class::METADATA).to eq(:user_id => nil, :priority => nil, :content_type => nil)
    end
  end

  describe ".new with bad options" do
    def error_for(http)
      described_class.new(:http => http)
      nil
    rescue ArgumentError => e
      e
    end

    {
      "a missing url without Keystone"  => [{}, "http.url"],
      "a url without scheme"            => [{:url => "127.0.0.1:8977"}, "http.url"],
      "a zero page size"                => [{:url => "http://h", :page_size => 0}, "http.page_size"],
      "a negative backread"             => [{:url => "http://h", :backread_seconds => -1}, "http.backread_seconds"],
      "a String poll interval"          => [{:url => "http://h", :poll_interval => "5"}, "http.poll_interval"],
      "a poll interval under 0.1 s"     => [{:url => "http://h", :poll_interval => 0.05}, "http.poll_interval"],
      "an unknown key"                  => [{:url => "http://h", :pagesize => 10}, "http.pagesize"],
      "an uncompilable regexp"          => [{:url => "http://h", :event_types_regex => "(unclosed"}, "http.event_types_regex"],
      "an unparseable since"            => [{:url => "http://h", :since => "last tuesday"}, "http.since"],
      "a non-boolean all_tenants"       => [{:url => "http://h", :all_tenants => "yes"}, "http.all_tenants"],
      "an unknown auth type"            => [{:url => "http://h", :auth => {:type => :kerberos}}, "http.auth.type"],
      "Keystone without a password"     => [{:auth => {:type => :keystone, :url => "http://k", :username => "u"}}, "http.auth.password"],
      "a token auth without token"      => [{:url => "http://h", :auth => {:type => :token}}, "http.auth.token"],
      "a missing CA file"               => [{:url => "https://h", :ca_file => "/nonexistent.pem"}, "http.ca_file"],
      "an object the core cannot read"  => [{:url => "http://h", :page_size => Object.new}, "http.page_size"]
    }.each do |what, (http, key)|
      it "rejects #{what}, naming #{key}" do
        error = error_for(http)
        expect(error).to be_a(OpenstackHTTPEventMonitor::ConfigurationError)
        expect(error).to be_a(OpenstackHTTPEventMonitor::Error)
        expect(error.message).to include(key)
      end
    end

    it "rejects a missing options[:http]" do
      expect { described_class.new({}) }.to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http/)
    end

    it "accepts string keys, Regexp objects and Time for since" do
      mon = described_class.new("http" => {"url" => "http://h", "event_types_regex" => /volume/i,
                                           "since" => Time.utc(2020, 1, 2, 3, 4, 5)})
      expect(mon.stats[:cursor]).to eq("2020-01-02T03:04:05.000000")
    end

    it "makes no request and raises nothing from available? for a bad option" do
      expect(described_class.available?(:http => {:url => "nope"})).to be(false)
    end
  end

  describe "secrets" do
    it "keeps passwords and tokens out of inspect, to_s and pp" do
      mon = described_class.new(:http => {:auth => {:type => :keystone, :url => "http://k:5000/v3",
                                                    :username => "admin", :password => "s3cr3t-pw"}})
      tok = described_class.new(:http => {:url => "http://h", :auth => {:type => :token, :token => "t0k3n-value"}})
      require "pp"
      shown = [mon.inspect, mon.to_s, PP.pp(mon, +""), tok.inspect, PP.pp(tok, +"")].join("\n")
      expect(shown).not_to include("s3cr3t-pw")
      expect(shown).not_to include("t0k3n-value")
      expect(shown).to include("user=admin")
    end

    it "keeps a password out of configuration errors" do
      error = begin
        described_class.new(:http => {:auth => {:type => :keystone, :url => "http://k", :username => "u",
                                                :password => "s3cr3t-pw", :interface => "sideways"}})
      rescue ArgumentError => e
        e
      end
      expect(error.message).to include("http.auth.interface")
      expect(error.message).not_to include("s3cr3t-pw")
    end
  end
end
