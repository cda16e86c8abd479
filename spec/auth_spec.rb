# frozen_string_literal: true

require "spec_helper"
require "base64"

# Every auth type other than Keystone (whose specs are the rest of the
# suite), end to end against the look-alike over real HTTP: what it sends,
# what a refusal gives, and that no secret leaks into logs, stats, inspect or
# exception messages.
RSpec.describe "Auth types" do
  with_lookalike

  let(:io) { StringIO.new }
  let(:logger) { Logger.new(io).tap { |l| l.level = Logger::DEBUG } }

  # name => [look-alike settings, :auth options, wrong :auth options,
  #          the secrets involved, the header /v2/events must carry]
  def setup_for(type)
    case type
    when :bearer
      [{:auth => "bearer", :token => "bearer-tok-7f3a9c"},
       {:type => :bearer, :token => "bearer-tok-7f3a9c"},
       {:type => :bearer, :token => "bearer-tok-wrong1"},
       %w[bearer-tok-7f3a9c bearer-tok-wrong1]]
    when :token
      [{:auth => "token", :token => "static-x-auth-91be"},
       {:type => :token, :token => "static-x-auth-91be"},
       {:type => :token, :token => "static-x-auth-bad0"},
       %w[static-x-auth-91be static-x-auth-bad0]]
    when :basic
      [{:auth => "basic", :basic_username => "miq", :basic_password => "basic-pw-5e1d7"},
       {:type => :basic, :username => "miq", :password => "basic-pw-5e1d7"},
       {:type => :basic, :username => "miq", :password => "basic-pw-wrong"},
       ["basic-pw-5e1d7", "basic-pw-wrong", Base64.strict_encode64("miq:basic-pw-5e1d7")]]
    when :header
      [{:auth => "header", :header_name => "X-Api-Key", :header_value => "api-key-c0ffee42"},
       {:type => :header, :name => "X-Api-Key", :value => "api-key-c0ffee42"},
       {:type => :header, :name => "X-Api-Key", :value => "api-key-deadbeef"},
       %w[api-key-c0ffee42 api-key-deadbeef]]
    when :oauth2
      [{:auth => "oauth2", :client_id => "miq-client", :client_secret => "oauth-secret-b4d1e"},
       {:type => :oauth2, :token_url => service.oauth_token_url, :client_id => "miq-client",
        :client_secret => "oauth-secret-b4d1e", :scope => "events:read"},
       {:type => :oauth2, :token_url => service.oauth_token_url, :client_id => "miq-client",
        :client_secret => "oauth-secret-wrong"},
       ["oauth-secret-b4d1e", "oauth-secret-wrong", Base64.strict_encode64("miq-client:oauth-secret-b4d1e")]]
    end
  end

  def options(auth, **extra)
    {:logger => logger, :http => {:url => service.url, :auth => auth, :poll_interval => 0.1, :page_size => 100}.merge(extra)}
  end

  # 230 events: more than two pages, 30 of them on one timestamp.
  def add_backlog(prefix)
    events = (0...200).map { |i| panko_event("#{prefix}-#{i}", format("2026-01-01T00:%02d:%02d.000000", i / 60, i % 60)) }
    events += (0...30).map { |i| panko_event("#{prefix}-same-#{i}", "2026-01-01T01:00:00.000000") }
    service.add_events(events)
    events.map { |e| e["message_id"] }
  end

  def leaks(mon, secrets, error = nil)
    texts = {"logs" => io.string, "stats" => mon.stats.to_s, "inspect" => mon.inspect, "error" => error&.message.to_s}
    texts.flat_map { |where, text| secrets.select { |s| text.include?(s) }.map { |s| "#{s} in #{where}" } }
  end

  %i[bearer token basic header oauth2].each do |type|
    describe ":#{type}" do
      it "drains every event once, sending the credentials on each request" do
        settings, auth, _, secrets = setup_for(type)
        service.configure(**settings)
        expected = add_backlog(type.to_s)
        mon = OpenstackHTTPEventMonitor.new(options(auth))
        got = ids(drain(mon))
        expect(got.sort).to eq(expected.sort)
        expect(got.size).to eq(got.uniq.size)
        requests = event_requests
        expect(requests.size).to be >= 3
        expect(requests.map { |r| r["status"] }.uniq).to eq([200])
        secrets += service.tokens if type == :oauth2
        expect(leaks(mon, secrets)).to eq([])
        expect(mon.inspect).to include("auth=#{type}")
      end

      it "is refused without credentials (the look-alike checks them)" do
        service.configure(**setup_for(type)[0])
        mon = OpenstackHTTPEventMonitor.new(options({:type => :none}))
        expect { drain(mon) }.to raise_error(OpenstackHTTPEventMonitor::AuthenticationError)
      end

      it "raises AuthenticationError naming the URL, never the secret, for wrong credentials" do
        settings, _, wrong, secrets = setup_for(type)
        service.configure(**settings)
        add_backlog(type.to_s)
        mon = OpenstackHTTPEventMonitor.new(options(wrong))
        error = nil
        expect { drain(mon) }.to raise_error(OpenstackHTTPEventMonitor::AuthenticationError) { |e| error = e }
        url = type == :oauth2 ? service.oauth_token_url : "#{service.url}/v2/events"
        expect(error.message).to include(url)
        expect(mon.stats[:last_error]).to include(url)
        expect(leaks(mon, secrets, error)).to eq([])
      end

      it "scrubs the secret from a service message that echoes it" do
        settings, auth, _, secrets = setup_for(type)
        service.configure(**settings)
        echoed = secrets.first(1).concat(secrets.drop(2)).join(" and ")
        service.faults({:path => "events", :status => 401, :count => 3,
                        :body => JSON.generate("error_message" => "refused #{echoed}")})
        mon = OpenstackHTTPEventMonitor.new(options(auth))
        error = nil
        expect { drain(mon) }.to raise_error(OpenstackHTTPEventMonitor::AuthenticationError) { |e| error = e }
        expect(error.message).to include("[REDACTED]")
        expect(leaks(mon, secrets, error)).to eq([])
      end
    end
  end

  describe ":oauth2 tokens" do
    before do
      service.configure(**setup_for(:oauth2)[0])
    end

    def token_requests
      service.requests.select { |r| r["path"] == "/oauth/token" }
    end

    it "asks once and reuses the token across polls" do
      mon = OpenstackHTTPEventMonitor.new(options(setup_for(:oauth2)[1]))
      mon.start
      polls = 0
      mon.each_batch { mon.stop if (polls += 1) >= 5 }
      expect(polls).to eq(5)
      expect(event_requests.size).to be >= 5
      expect(service.oauth_tokens_issued).to eq(1)
      expect(token_requests.size).to eq(1)
      expect(mon.stats[:authentications]).to eq(1)
    end

    it "sends the client secret to the token URL only, and the issued token as Bearer elsewhere" do
      secret_basic = "Basic #{Base64.strict_encode64("miq-client:oauth-secret-b4d1e")}"
      add_backlog("o")
      drain(OpenstackHTTPEventMonitor.new(options(setup_for(:oauth2)[1])))
      tokens = service.tokens
      expect(tokens.size).to eq(1)
      expect(token_requests.map { |r| [r["method"], r["authorization"]] }).to eq([["POST", secret_basic]])
      others = service.requests.reject { |r| r["path"] == "/oauth/token" }
      expect(others.map { |r| r["authorization"] }.uniq).to eq(["Bearer #{tokens.first}"])
      expect(others.map { |r| r["query"] }.join).not_to include("oauth-secret")
    end

    it "renews the token before it expires" do
      service.configure(:expires_in => 1)
      mon = OpenstackHTTPEventMonitor.new(options(setup_for(:oauth2)[1]))
      mon.start
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      mon.each_batch { mon.stop if Process.clock_gettime(Process::CLOCK_MONOTONIC) - started > 2.5 }
      expect(service.oauth_tokens_issued).to be >= 2
      expect(mon.stats[:authentications]).to eq(service.oauth_tokens_issued)
    end

    it "renews once after a 401, and raises when the renewed token is refused too" do
      mon = OpenstackHTTPEventMonitor.new(options(setup_for(:oauth2)[1]))
      add_backlog("before")
      expect(drain(mon).size).to eq(230)
      service.revoke_tokens
      service.add_events([panko_event("after-revoke", "2026-01-02T00:00:00.000000")])
      expect(ids(drain(mon))).to eq(%w[after-revoke])
      expect(service.oauth_tokens_issued).to eq(2)
      expect(event_requests.count { |r| r["status"] == 401 }).to eq(1)

      # a service that refuses every token: one renewal, then the error
      service.clear_requests
      service.revoke_tokens
      service.faults({:path => "events", :status => 401, :count => 10})
      expect { drain(mon) }.to raise_error(OpenstackHTTPEventMonitor::AuthenticationError, %r{/v2/events})
      expect(token_requests.size).to eq(1)
      expect(event_requests.size).to eq(2)
    end
  end

  describe "bad auth options" do
    def error_for(auth)
      OpenstackHTTPEventMonitor.new(:http => {:url => "http://h", :auth => auth})
      nil
    rescue ArgumentError => e
      e
    end

    {
      "an unknown type lists every type" => [{:type => :kerberos}, "http.auth.type",
                                             /keystone, token, bearer, basic, header, oauth2, none/],
      "bearer without a token"           => [{:type => :bearer}, "http.auth.token"],
      "bearer with a password"           => [{:type => :bearer, :token => "t0k3n-xyz", :password => "p"}, "http.auth.password",
                                             /does not apply to auth type bearer/],
      "bearer with a newline in it"      => [{:type => :bearer, :token => "t0k3n\nX-Evil: 1"}, "http.auth.token"],
      "basic without a username"         => [{:type => :basic, :password => "pw-basic-1"}, "http.auth.username"],
      "basic without a password"         => [{:type => :basic, :username => "u"}, "http.auth.password"],
      "basic with a colon in the user"   => [{:type => :basic, :username => "a:b", :password => "pw-basic-1"}, "http.auth.username"],
      "header without a name"            => [{:type => :header, :value => "v4lue-1"}, "http.auth.name"],
      "header without a value"           => [{:type => :header, :name => "X-Key"}, "http.auth.value"],
      "header named Host"                => [{:type => :header, :name => "Host", :value => "v4lue-1"}, "http.auth.name"],
      "header named Content-Length"      => [{:type => :header, :name => "Content-Length", :value => "v4lue-1"}, "http.auth.name"],
      "header with a space in its name"  => [{:type => :header, :name => "X Key", :value => "v4lue-1"}, "http.auth.name"],
      "header value with a CR LF"        => [{:type => :header, :name => "X-Key", :value => "v4lue-1\r\nX: y"}, "http.auth.value"],
      "oauth2 without token_url"         => [{:type => :oauth2, :client_id => "c", :client_secret => "cs-123456"}, "http.auth.token_url"],
      "oauth2 with a relative token_url" => [{:type => :oauth2, :token_url => "/oauth/token", :client_id => "c",
                                              :client_secret => "cs-123456"}, "http.auth.token_url"],
      "oauth2 without client_id"         => [{:type => :oauth2, :token_url => "http://idp/t", :client_secret => "cs-123456"},
                                             "http.auth.client_id"],
      "oauth2 without client_secret"     => [{:type => :oauth2, :token_url => "http://idp/t", :client_id => "c"},
                                             "http.auth.client_secret"],
      "oauth2 with a Keystone key"       => [{:type => :oauth2, :token_url => "http://idp/t", :client_id => "c",
                                              :client_secret => "cs-123456", :project_name => "p"}, "http.auth.project_name"],
      "keystone with a client_id"        => [{:type => :keystone, :url => "http://k", :username => "u", :password => "pw-ks-1",
                                              :client_id => "c"}, "http.auth.client_id"]
    }.each do |what, (auth, key, extra)|
      it "names #{key} for #{what}, without the secret" do
        error = error_for(auth)
        expect(error).to be_a(OpenstackHTTPEventMonitor::ConfigurationError)
        expect(error.message).to include(key)
        expect(error.message).to match(extra) if extra
        %w[t0k3n pw-basic-1 v4lue-1 cs-123456 pw-ks-1].each { |secret| expect(error.message).not_to include(secret) }
      end
    end

    it "shows the auth type and no secret in inspect" do
      {
        {:type => :basic, :username => "miq", :password => "pw-basic-1"}           => "auth=basic user=miq",
        {:type => :header, :name => "X-Api-Key", :value => "v4lue-1"}                => "auth=header header=X-Api-Key",
        {:type => :oauth2, :token_url => "http://idp/t", :client_id => "c", :client_secret => "cs-123456"} =>
          "auth=oauth2 token_url=http://idp/t client_id=c",
        {:type => :bearer, :token => "t0k3n-xyz"}                                    => "auth=bearer"
      }.each do |auth, shown|
        text = OpenstackHTTPEventMonitor.new(:http => {:url => "http://h", :auth => auth}).inspect
        expect(text).to include(shown)
        %w[t0k3n pw-basic-1 v4lue-1 cs-123456].each { |secret| expect(text).not_to include(secret) }
      end
    end
  end
end
