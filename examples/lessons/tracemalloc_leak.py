# Lesson 8.2 "tracemalloc 抓泄漏" (its indentation, lost in the lesson's text, restored).
import tracemalloc, linecache
tracemalloc.start()
# === 业务代码 ===
big = ['程序员晚枫' * 1000 for _ in range(10000)]
# === 结束 ===
snapshot = tracemalloc.take_snapshot()
top = snapshot.statistics('lineno')[:5]
for stat in top:
    print(f"{stat.traceback.format()}: {stat.size / 1024:.1f} KiB")
