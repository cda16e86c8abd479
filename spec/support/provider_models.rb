# frozen_string_literal: true

require "active_record"

# ManageIQ-shaped provider records on SQLite: a cloud manager with the
# endpoint and credential fields the monitor reads, a network manager that
# reaches them through parent_manager, and their stored events.
module ProviderModels
  module_function

  def connect!
    ActiveRecord::Base.establish_connection(:adapter => "sqlite3", :database => ":memory:")
    ActiveRecord::Schema.verbose = false
    ActiveRecord::Schema.define do
      create_table :ext_management_systems do |t|
        t.string :type
        t.string :name
        t.string :address
        t.integer :port
        t.string :api_version
        t.string :security_protocol
        t.string :keystone_v3_domain_id
        t.string :provider_region
        t.string :userid
        t.string :password
        t.integer :parent_ems_id
        t.datetime :created_on, :precision => 6
      end
      create_table :event_streams do |t|
        t.integer :ems_id
        t.string :event_type
        t.datetime :timestamp, :precision => 6
      end
    end
    define_models
  end

  def define_models
    return if defined?(::SpecProviderEvent)

    Object.const_set(:SpecProviderEvent, Class.new(ActiveRecord::Base) { self.table_name = "event_streams" })
    Object.const_set(:SpecCloudManager, Class.new(ActiveRecord::Base) do
      self.table_name = "ext_management_systems"
      self.inheritance_column = :_no_sti
      has_many :ems_events, :class_name => "SpecProviderEvent", :foreign_key => :ems_id

      def authentication_userid
        userid
      end

      def authentication_password
        password
      end
    end)
    Object.const_set(:SpecNetworkManager, Class.new(ActiveRecord::Base) do
      self.table_name = "ext_management_systems"
      self.inheritance_column = :_no_sti
      has_many :ems_events, :class_name => "SpecProviderEvent", :foreign_key => :ems_id
      belongs_to :parent_manager, :class_name => "SpecCloudManager", :foreign_key => :parent_ems_id
    end)
  end

  def disconnect!
    ActiveRecord::Base.remove_connection
  end
end
