# frozen_string_literal: true

require "spec_helper"

# Keystone's domains by name as well as by id, and the project scope by id,
# end to end against the look-alike (which knows one domain: id "default",
# name "Default", and refuses any other).
RSpec.describe "Keystone domains and project ids" do
  with_lookalike

  def token_requests
    service.requests.select { |r| r["path"].end_with?("/v3/auth/tokens") }.map { |r| JSON.parse(r["body"]) }
  end

  def keystone(**auth)
    {:type => :keystone, :url => service.keystone_url, :username => "admin", :password => "secret"}.merge(auth)
  end

  it "authenticates with the user's and the project's domains by name" do
    service.add_events([panko_event("n1", "2026-01-01T00:00:00.000000")])
    mon = monitor(:auth => keystone(:user_domain_name => "Default", :project_domain_name => "Default", :project_name => "admin"))
    expect(ids(drain(mon))).to eq(%w[n1])
    scoped = token_requests.last["auth"]
    expect(scoped["identity"]["password"]["user"]["domain"]).to eq("name" => "Default")
    expect(scoped["scope"]["project"]).to eq("name" => "admin", "domain" => {"name" => "Default"})
  end

  it "is refused for a domain name Keystone does not know, naming the domain" do
    mon = monitor(:auth => keystone(:user_domain_name => "Elsewhere"))
    expect { mon.verify! }.to raise_error(OpenstackHTTPEventMonitor::AuthenticationError, /domain name "Elsewhere"/)
    expect { monitor(:auth => keystone(:project_domain_name => "Elsewhere", :project_name => "admin")).verify! }
      .to raise_error(OpenstackHTTPEventMonitor::AuthenticationError)
  end

  it "scopes by project id: no project lookup, no project domain, that project's events" do
    service.configure(:admin => false)
    demo = service.project_id("demo")
    service.add_events([panko_event("mine", "2026-01-01T00:00:00.000000", :project => demo),
                        panko_event("theirs", "2026-01-01T00:00:01.000000", :project => service.project_id("admin"))])
    mon = monitor(:auth => keystone(:project_id => demo, :project_domain_name => "Anything"), :all_tenants => false)
    expect(ids(drain(mon))).to eq(%w[mine])
    expect(token_requests.map { |r| r["auth"]["scope"] }).to eq([{"project" => {"id" => demo}}])
    expect(service.requests.map { |r| r["path"] }.grep(%r{/auth/projects})).to be_empty
  end

  it "an unknown project id is refused" do
    expect { monitor(:auth => keystone(:project_id => "0" * 32)).verify! }
      .to raise_error(OpenstackHTTPEventMonitor::AuthenticationError, /project id "0{32}"/)
  end

  it "giving a domain by id and by name, or a project by id and by name, is a configuration error naming both keys" do
    [%i[user_domain_id user_domain_name], %i[project_domain_id project_domain_name], %i[project_id project_name]].each do |a, b|
      expect { monitor(:auth => keystone(a => "x", b => "y")) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /(?=.*http\.auth\.#{a}\b)(?=.*http\.auth\.#{b}\b)/)
    end
  end

  it "an explicit :http auth naming a domain by name replaces the id ManageIQ's endpoint gave" do
    base = OpenstackHTTPEventMonitor::Options.normalize(:auth => keystone(:user_domain_id => "default", :project_id => "p"))
    over = OpenstackHTTPEventMonitor::Options.normalize(:auth => {:user_domain_name => "Default", :project_name => "demo"})
    merged = OpenstackHTTPEventMonitor::Options.merge(base, over)["auth"]
    expect(merged).to include("user_domain_name" => "Default", "project_name" => "demo")
    expect(merged.keys).not_to include("user_domain_id", "project_id")
  end
end
