# frozen_string_literal: true

# Ends an example that runs past its time limit. The processes it started
# are killed first: Open3's block forms and `capture3` wait for their child
# on the way out, so one hung child would otherwise hang the whole suite.
module Watchdog
  module_function

  # Runs the block; after `limit` seconds kills what it spawned (children
  # and their children, found in /proc) and raises Timeout::Error in it.
  def run(limit)
    before = descendants
    owner = Thread.current
    done = false
    lock = Mutex.new
    dog = Thread.new do
      sleep limit
      lock.synchronize do
        next if done

        (descendants - before).each do |pid|
          Process.kill("KILL", pid)
        rescue SystemCallError
          nil # gone already
        end
        owner.raise(Timeout::Error, "example ran past its #{limit} s (the processes it started were killed)")
      end
    end
    yield
  ensure
    lock&.synchronize { done = true }
    dog&.kill
    dog&.join
  end

  # @return [Array<Integer>] the pids of `pid`'s children and theirs
  def descendants(pid = Process.pid)
    children = Dir.glob("/proc/[0-9]*/stat").filter_map do |path|
      # "pid (comm) state ppid …": comm may hold spaces and parentheses
      ppid = File.read(path).rpartition(")").last.split[1].to_i
      File.basename(File.dirname(path)).to_i if ppid == pid
    rescue SystemCallError
      nil # ended while we looked
    end
    children + children.flat_map { |child| descendants(child) }
  end
end
