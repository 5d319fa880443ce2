-- One event through GCRA limits, in order, on Redis's clock.
--
-- KEYS[i] is limit i's key; ARGV[2i-1] is its emission interval (the time
-- one event uses up) in microseconds, ARGV[2i] its burst. A key holds the
-- theoretical arrival time (TAT) of the next event, in microseconds since
-- the epoch, and expires when it passes: an absent key is a limit at rest.
--
-- Each limit that admits the event counts it; the first that refuses it
-- stops it, and neither it nor the limits after it count anything. Returns
-- {0, remaining} when every limit admitted the event (remaining: the least
-- number of further events the limits would admit now), or {i,
-- retry_after_us} for the first limit i that refused it.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local least = -1
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]))
  if tat == nil or tat < now then
    tat = now
  end
  local next_tat = tat + interval
  local allow_at = next_tat - interval * burst
  if now < allow_at then
    return {i, math.ceil(allow_at - now)}
  end
  -- '%.3f' keeps every digit: a bare number would be written with 14.
  redis.call('SET', KEYS[i], string.format('%.3f', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
  local remaining = math.floor((now - allow_at) / interval)
  if least < 0 or remaining < least then
    least = remaining
  end
end
return {0, least}
