# frozen_string_literal: true

require "active_record"
require "json"
require "net/http"
require "openssl"
require_relative "openstack_event_monitor"

# ManageIQ's OpenStack provider as far as an event stream touches it,
# restated for the specs from its contract (see DESIGN.md §6; not ManageIQ's
# code), on ActiveRecord and SQLite with ManageIQ's table and column names:
# providers (`ext_management_systems`, `options` serialized), their
# `endpoints` and `authentications` (polymorphic `resource`), the form
# schema's structure (ids, components, nesting), credential checks that
# dispatch on `event_stream_selection`, `event_monitor_options` choosing
# STF, then Ceilometer, then AMQP (memoised), a frozen list of event
# endpoint roles, and an event catcher runner passing its worker settings.
# The Keystone check stands for fog's: a token request to the provider's
# Keystone.
module ManageIQFixture
  module_function

  def connect!
    Record.establish_connection(:adapter => "sqlite3", :database => ":memory:")
    Record.connection.instance_eval do
      create_table :ext_management_systems do |t|
        t.string :type
        t.string :name
        t.string :provider_region
        t.string :api_version
        t.string :uid_ems
        t.text :options
        t.text :capabilities
        t.boolean :tenant_mapping_enabled
        t.integer :parent_ems_id
        t.datetime :created_on, :precision => 6
      end
      create_table :endpoints do |t|
        t.string :role
        t.string :hostname
        t.integer :port
        t.string :url
        t.string :path
        t.string :security_protocol
        t.integer :verify_ssl
        t.text :certificate_authority
        t.string :resource_type
        t.integer :resource_id
      end
      create_table :authentications do |t|
        t.string :name
        t.string :authtype
        t.string :userid
        t.string :password
        t.text :auth_key
        t.string :type
        t.string :status
        t.string :resource_type
        t.integer :resource_id
      end
      create_table :event_streams do |t|
        t.integer :ems_id
        t.string :event_type
        t.datetime :timestamp, :precision => 6
      end
    end
  end

  def disconnect!
    Record.remove_connection
  end

  class Record < ActiveRecord::Base
    self.abstract_class = true
  end
end

# ManageIQ keeps passwords encrypted ("v2:{…}"); its forms may send them so.
module ManageIQ
  module Password
    def self.encrypt(text)
      "v2:{#{[text].pack("m0")}}"
    end

    def self.try_decrypt(text)
      text.is_a?(String) && text.start_with?("v2:{") && text.end_with?("}") ? text[4..-2].unpack1("m0") : text
    end
  end
end

module MiqException
  class MiqUnreachableError < Error; end
end

class Endpoint < ManageIQFixture::Record
  belongs_to :resource, :polymorphic => true
  attribute :verify_ssl, :integer, :default => OpenSSL::SSL::VERIFY_PEER
  validates :verify_ssl, :inclusion => {:in => [OpenSSL::SSL::VERIFY_NONE, OpenSSL::SSL::VERIFY_PEER]}
  validates :url, :uniqueness => true, :allow_blank => true
end

class Authentication < ManageIQFixture::Record
  belongs_to :resource, :polymorphic => true

  # ManageIQ stores secrets encrypted and reads them decrypted.
  %w[password auth_key].each do |secret|
    define_method(secret) { ManageIQ::Password.try_decrypt(super()) }
  end
end

class AuthUseridPassword < Authentication; end
class AuthToken < Authentication; end

class EmsEvent < ManageIQFixture::Record
  self.table_name = "event_streams"
end

class ExtManagementSystem < ManageIQFixture::Record
  has_many :endpoints, :as => :resource, :dependent => :destroy, :autosave => true
  has_many :authentications, :as => :resource, :dependent => :destroy, :autosave => true
  has_many :ems_events, :foreign_key => :ems_id
  serialize :options
  serialize :capabilities, JSON
  attribute :capabilities, :json, :default => {}

  def self.create_from_params(params, endpoints, authentications)
    new(params).tap do |ems|
      endpoints.each { |e| ems.assign_nested_endpoint(e) }
      authentications.each { |a| ems.assign_nested_authentication(a) }
      ems.save!
    end
  end

  # Endpoints and credentials not sent again go; the rest is updated.
  def edit_with_params(params, endpoints, authentications)
    transaction do
      self.endpoints.where.not(:role => endpoints.map { |e| e["role"] }).destroy_all
      self.authentications.where.not(:authtype => authentications.map { |a| a["authtype"] }).destroy_all
      reload
      assign_attributes(params)
      endpoints.each { |e| assign_nested_endpoint(e) }
      authentications.each { |a| assign_nested_authentication(a) }
      save!
    end
    self
  end

  def assign_nested_endpoint(attrs)
    record = endpoints.detect { |e| e.role == attrs["role"] } || endpoints.build(:role => attrs["role"])
    record.assign_attributes(attrs)
    record
  end

  def assign_nested_authentication(attrs)
    klass = attrs.key?("auth_key") ? AuthToken : AuthUseridPassword
    record = authentications.detect { |a| a.authtype == attrs["authtype"] } ||
             authentications.build(:authtype => attrs["authtype"], :type => klass.name)
    record.assign_attributes(attrs.merge("name" => "#{self.class.name} #{name}"))
    record
  end

  def connection_configuration_by_role(role = "default")
    endpoint = endpoints.detect { |e| e.role == role }
    return nil unless endpoint

    Struct.new(:endpoint, :authentication).new(endpoint, authentications.detect { |a| a.authtype == role })
  end

  def default_endpoint
    endpoints.detect { |e| e.role == "default" } || endpoints.build(:role => "default")
  end

  %w[hostname port security_protocol].each do |attr|
    define_method(attr) { default_endpoint.public_send(attr) }
  end
  alias address hostname

  def keystone_v3_domain_id
    uid_ems
  end

  def authentication_type(type)
    authentications.detect { |a| a.authtype == type.to_s }
  end

  def authentication_userid(type = "default")
    authentication_type(type)&.userid
  end

  def authentication_password(type = "default")
    authentication_type(type)&.password
  end

  def authentication_token(type = "default")
    authentication_type(type)&.auth_key
  end

  def has_credentials?(type = "default")
    auth = authentication_type(type)
    !auth.nil? && required_credential_fields(type).all? { |f| !auth.public_send(f).to_s.empty? }
  end

  def missing_credentials?(type = "default")
    !has_credentials?(type)
  end

  def required_credential_fields(_type)
    [:userid, :password]
  end

  # ManageIQ's periodic check: each stored credential type, its status recorded.
  def authentication_check_types
    authentications.map(&:authtype).compact.to_h do |type|
      status = begin
        verify_credentials(type) ? "Valid" : "Invalid"
      rescue StandardError => e
        "Error: #{e.message}"
      end
      [type, status]
    end
  end
end

module ManageIQ
  module Providers
    module Openstack
      module ManagerMixin
        def self.included(base)
          base.extend(ClassMethods)
        end

        module ClassMethods
          # Each endpoint of the form is checked with its host, port and
          # security protocol only (a URL is dropped); the default one with
          # Keystone, the others by the stream chosen.
          def verify_credentials(args)
            endpoints = args["endpoints"] || {}
            authentications = args["authentications"] || {}
            if args["event_stream_selection"] == "ceilometer"
              endpoints["ceilometer"] = endpoints["default"]
              authentications["ceilometer"] = authentications["default"]
            end
            endpoints.each do |role, endpoint|
              userid, password = (authentications[role] || {}).values_at("userid", "password")
              password = ManageIQ::Password.try_decrypt(password)
              password ||= find(args["id"]).authentication_password(role) if args["id"]
              params = {"userid" => userid, "password" => password}.merge(endpoint.slice("hostname", "port", "security_protocol"))
                                                                   .merge(args.slice("name", "provider_region", "api_version", "uid_ems"))
              params["event_stream_selection"] = args["event_stream_selection"] if role != "default"
              raise "verification failed" unless raw_connect(password, params.transform_keys(&:to_sym))
            end
            true
          end

          def raw_connect(password, params, _service = "Compute")
            case params[:event_stream_selection]
            when "amqp", "stf" then raise MiqException::MiqHostError, "no #{params[:event_stream_selection]} in the specs"
            else keystone_check(params[:hostname], params[:port], params[:security_protocol], params[:userid], password)
            end
          end

          # Stands for fog's Keystone connection.
          def keystone_check(host, port, protocol, user, password)
            uri = URI("#{protocol == "non-ssl" ? "http" : "https"}://#{host}:#{port}/v3/auth/tokens")
            body = {:auth => {:identity => {:methods => ["password"], :password => {:user => {
              :name => user, :domain => {:id => "default"}, :password => password
            }}}}}
            response = Net::HTTP.post(uri, JSON.generate(body), "Content-Type" => "application/json")
            raise MiqException::MiqInvalidCredentialsError, "Login failed." if response.code == "401"
            raise MiqException::MiqHostError, "Keystone answered #{response.code}" unless response.code.start_with?("2")

            true
          rescue SystemCallError => e
            raise MiqException::MiqHostError, "Socket error: #{e.message}"
          end
        end

        def event_monitor_options
          @event_monitor_options ||= begin
            opts = {:ems => self, :automatic_recovery => false, :recover_from_connection_close => false}
            if (stf = connection_configuration_by_role("stf"))
              opts.merge!(:events_monitor => :stf, :hostname => stf.endpoint.hostname, :port => stf.endpoint.port)
            elsif connection_configuration_by_role("ceilometer")
              opts[:events_monitor] = :ceilometer
            elsif (amqp = connection_configuration_by_role("amqp"))
              opts.merge!(:events_monitor => :amqp, :hostname => amqp.endpoint.hostname, :port => amqp.endpoint.port)
            end
            opts
          end
        end

        def event_monitor_available?
          OpenstackEventMonitor.available?(event_monitor_options)
        rescue StandardError
          false
        end

        def verify_credentials(auth_type = nil, _options = {})
          auth_type = (auth_type || "default").to_s
          raise MiqException::MiqHostError, "No credentials defined" if missing_credentials?(auth_type)

          case auth_type
          when "default"
            self.class.keystone_check(hostname, port, security_protocol, authentication_userid, authentication_password)
          when "amqp" then raise MiqException::MiqHostError, "no amqp in the specs"
          else raise "Invalid OpenStack Authentication Type: #{auth_type.inspect}"
          end
        end
      end

      # The event catcher: its monitor gets the provider's options and the
      # worker's settings.
      module EventCatcherRunnerMixin
        def event_monitor_handle
          @event_monitor_handle ||= begin
            options = @ems.event_monitor_options
            options[:ceilometer] = worker_settings[:ceilometer]
            options[:automatic_recovery] = true
            options[:ems] = @ems
            OpenstackEventMonitor.new(options)
          end
        end
      end

      class CloudManager < ExtManagementSystem
        include ManagerMixin

        EVENTS_ENDPOINT_ROLES = %w[amqp ceilometer stf].freeze

        def self.build_ceilometer_endpoint!(params, endpoints, _authentications)
          return unless params.delete("event_stream_selection") == "ceilometer"

          default = endpoints.detect { |e| e["role"] == "default" }
          endpoints << {"role" => "ceilometer", "hostname" => default["hostname"]}
        end

        def self.create_from_params(params, endpoints, authentications)
          build_ceilometer_endpoint!(params, endpoints, authentications)
          super
        end

        def edit_with_params(params, endpoints, authentications)
          self.class.build_ceilometer_endpoint!(params, endpoints, authentications)
          super
        end

        def events_endpoint
          endpoints.detect { |e| EVENTS_ENDPOINT_ROLES.include?(e.role) }
        end

        def auth_type_for_events
          case events_endpoint&.role
          when "amqp" then "amqp"
          when "ceilometer", "stf" then "default"
          end
        end

        def supported_auth_types
          %w[default amqp ssh_keypair]
        end

        # After the credentials, whether the event monitor is available,
        # when these credentials are the ones events use.
        def verify_credentials(auth_type = nil, options = {})
          auth_type = (auth_type || "default").to_s
          return false unless super

          if events_endpoint
            capabilities["events"] = event_monitor_available? if auth_type_for_events == auth_type
          else
            capabilities["events"] = false
          end
          save! if changed?
          true
        end

        def self.params_for_create
          credentials = %w[security_protocol hostname port].map { |f| field("endpoints.default.#{f}") } +
                        %w[userid password].map { |f| field("authentications.default.#{f}") }
          {:fields => [
            field("provider_region"), field("api_version"), field("uid_ems"),
            {:component => "sub-form", :id => "endpoints-subform", :name => "endpoints-subform", :fields => [
              {:component => "sub-form", :id => "default-tab", :name => "default-tab", :fields => [
                {:component => "validate-provider-credentials", :id => "authentications.default.valid",
                 :name => "authentications.default.valid", :skipSubmit => true,
                 :validationDependencies => %w[name type zone_id api_version provider_region uid_ems],
                 :fields => credentials + [
                   {:component => "sub-form", :id => "events-tab", :name => "events-tab", :fields => [
                     {:component => "protocol-selector", :id => "event_stream_selection", :name => "event_stream_selection",
                      :initialValue => "none", :options => [
                        {:label => "Disabled", :value => "none"},
                        {:label => "Ceilometer", :value => "ceilometer", :pivot => "endpoints.ceilometer.hostname"},
                        {:label => "STF", :value => "stf", :pivot => "endpoints.stf.hostname"},
                        {:label => "AMQP", :value => "amqp", :pivot => "endpoints.amqp.hostname"}
                      ]},
                     stream_subform("amqp", %w[endpoints.amqp.hostname endpoints.amqp.port authentications.amqp.userid]),
                     stream_subform("stf", %w[endpoints.stf.security_protocol endpoints.stf.hostname endpoints.stf.port])
                   ]}
                 ]}
              ]},
              {:component => "sub-form", :id => "ssh_keypair-tab", :name => "ssh_keypair-tab",
               :fields => [{:component => "provider-credentials", :id => "endpoints.ssh_keypair.valid",
                            :name => "endpoints.ssh_keypair.valid", :fields => []}]}
            ]}
          ]}
        end

        def self.field(name)
          {:component => "text-field", :id => name, :name => name, :label => name}
        end

        def self.stream_subform(value, names)
          {:component => "sub-form", :id => "endpoints.#{value}.valid", :name => "endpoints.#{value}.valid",
           :validationDependencies => %w[type event_stream_selection],
           :condition => {:when => "event_stream_selection", :is => value}, :fields => names.map { |n| field(n) }}
        end
      end

      class InfraManager < ExtManagementSystem
        include ManagerMixin

        def supported_auth_types
          %w[default amqp ssh_keypair]
        end

        def self.params_for_create
          {:fields => [
            {:component => "sub-form", :id => "endpoints-subform", :name => "endpoints-subform", :fields => [
              {:component => "tabs", :name => "tabs", :fields => [
                {:component => "tab-item", :id => "default-tab", :name => "default-tab", :fields => []},
                {:component => "tab-item", :id => "events-tab", :name => "events-tab", :fields => [
                  {:component => "protocol-selector", :id => "event_stream_selection", :name => "event_stream_selection",
                   :skipSubmit => true, :initialValue => "ceilometer", :options => [
                     {:label => "Ceilometer", :value => "ceilometer"},
                     {:label => "AMQP", :value => "amqp", :pivot => "endpoints.amqp.hostname"}
                   ]},
                  {:component => "text-field", :type => "hidden", :id => "endpoints.ceilometer", :name => "endpoints.ceilometer",
                   :initialValue => {}, :condition => {:when => "event_stream_selection", :is => "ceilometer"}},
                  {:component => "validate-provider-credentials", :id => "endpoints.amqp.valid",
                   :name => "endpoints.amqp.valid", :skipSubmit => true,
                   :validationDependencies => %w[type zone_id event_stream_selection],
                   :condition => {:when => "event_stream_selection", :is => "amqp"}, :fields => []}
                ]}
              ]}
            ]}
          ]}
        end
      end

      # Reads its connection from the cloud manager.
      class NetworkManager < ExtManagementSystem
        include ManagerMixin

        belongs_to :parent_manager, :class_name => "ManageIQ::Providers::Openstack::CloudManager",
                                    :foreign_key => :parent_ems_id

        def endpoints
          parent_manager.endpoints
        end

        def authentications
          parent_manager.authentications
        end
      end

      # What ManageIQ's worker framework gives a runner: its provider and settings.
      class EventCatcherRunner
        include EventCatcherRunnerMixin

        attr_reader :worker_settings

        def initialize(ems, worker_settings)
          @ems = ems
          @worker_settings = worker_settings
        end
      end
    end
  end
end
